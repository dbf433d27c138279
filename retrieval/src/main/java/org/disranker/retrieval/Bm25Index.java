package org.disranker.retrieval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.FSDirectory;
import org.disranker.core.data.Document;
import org.disranker.core.io.FileTrees;
import org.disranker.core.util.Progress;

/**
 * Builds a Lucene index for BM25 first-stage retrieval. Each document is indexed as one field,
 * title and body together, analysed by Lucene's {@link EnglishAnalyzer} (standard tokenizer,
 * lower case, English stop words, Porter stemming); the id is stored, and so is the text (title
 * and body as the student reads them, in {@link #TEXT}), for a second stage that reranks the
 * hits by their text and for showing them.
 *
 * <p>The index is built in a temporary folder beside the target and moved into place when
 * complete, so an interrupted build never leaves a half index under the target name.
 */
public final class Bm25Index {
  /** The stored document id. */
  public static final String ID = "id";
  static final String CONTENTS = "contents";
  /** The stored document text: title and body joined as {@link Document#text()} joins them. */
  public static final String TEXT = "text";

  private Bm25Index() {}

  /** The analyzer used for documents and queries alike. */
  public static Analyzer analyzer() {
    return new EnglishAnalyzer();
  }

  /** Indexes the documents into {@code indexDir}, replacing any index there. */
  public static void build(Path indexDir, Collection<Document> docs) {
    Path target = indexDir.toAbsolutePath().normalize();
    Path tmp = target.resolveSibling(target.getFileName() + ".building");
    try {
      FileTrees.deleteRecursively(tmp);
      Files.createDirectories(tmp);
      IndexWriterConfig cfg = new IndexWriterConfig(analyzer());
      cfg.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
      cfg.setRAMBufferSizeMB(256);
      try (FSDirectory dir = FSDirectory.open(tmp);
          IndexWriter w = new IndexWriter(dir, cfg);
          Progress p = Progress.start("index", docs.size())) {
        for (Document d : docs) {
          org.apache.lucene.document.Document ld = new org.apache.lucene.document.Document();
          ld.add(new StringField(ID, d.id(), Field.Store.YES));
          ld.add(new TextField(CONTENTS, d.text(), Field.Store.NO));
          ld.add(new StoredField(TEXT, d.text()));
          w.addDocument(ld);
          p.step();
        }
        w.forceMerge(1);
        w.commit();
      }
      FileTrees.deleteRecursively(target);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("building index " + indexDir, e);
    }
  }
}
