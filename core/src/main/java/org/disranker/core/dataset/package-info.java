/**
 * Readers of whole test collections: TREC Deep Learning, Cranfield, NFCorpus and a generic
 * JSONL/TSV layout, each into a {@link org.disranker.core.dataset.Dataset}.
 */
package org.disranker.core.dataset;
