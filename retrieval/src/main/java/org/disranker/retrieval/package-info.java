/** First-stage retrieval with Lucene BM25: index a corpus, retrieve the top k into a TREC run. */
package org.disranker.retrieval;
