/** The data model: queries, documents, graded judgments and ranked lists. */
package org.disranker.core.data;
