/**
 * Search with the student: {@link org.disranker.search.CrossEncoderRescorer}, a Lucene {@code
 * Rescorer} that reorders a first stage's top hits by an exported cross-encoder's scores (see
 * docs/LUCENE.md).
 */
package org.disranker.search;
