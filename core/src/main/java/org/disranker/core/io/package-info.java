/**
 * Readers and writers for TREC qrels and runs and generic JSONL/TSV corpora. Readers report
 * malformed input with file and line; writers replace their target atomically.
 */
package org.disranker.core.io;
