/** Small utilities shared by every module: progress reporting. */
package org.disranker.core.util;
