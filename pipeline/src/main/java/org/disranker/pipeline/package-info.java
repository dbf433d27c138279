/** The pipeline: stages in a run directory, each with a manifest, skipped when up to date. */
package org.disranker.pipeline;
