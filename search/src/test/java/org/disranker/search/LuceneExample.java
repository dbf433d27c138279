package org.disranker.search;

// docs/LUCENE.md shows this file from here on; LuceneExampleTest keeps the two the same.
// example:begin
import java.nio.file.Path;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;

/** Plain Lucene: index three passages, search with BM25, rerank the hits with the student. */
public final class LuceneExample {
  public static void main(String[] args) throws Exception {
    Path model = Path.of(args.length > 0 ? args[0] : "runs/pipeline/final");
    String[][] passages = {
        {"p1", "The wings of an airplane produce lift as air flows over them."},
        {"p2", "Lift is a word for raising something, as a crane lifts a load."},
        {"p3", "The stock market rose sharply today."}};
    try (Directory dir = new ByteBuffersDirectory();
        CrossEncoderRescorer rescorer = CrossEncoderRescorer.open(model,
            CrossEncoderRescorer.options().topN(100).batch(32).maxLength(256))) {
      try (IndexWriter w = new IndexWriter(dir, new IndexWriterConfig(new EnglishAnalyzer()))) {
        for (String[] p : passages) {
          Document d = new Document();
          d.add(new StringField("id", p[0], Field.Store.YES)); // the rescorer reads "id"
          d.add(new TextField("contents", p[1], Field.Store.NO)); // what BM25 searches
          d.add(new StoredField("text", p[1])); // and "text": the passage the model reads
          w.addDocument(d);
        }
      }
      try (DirectoryReader reader = DirectoryReader.open(dir)) {
        IndexSearcher searcher = new IndexSearcher(reader); // BM25 is Lucene's default
        String userQuery = "how do airplanes get lift";
        Query query = new QueryParser("contents", new EnglishAnalyzer()).parse(userQuery);
        TopDocs firstStage = searcher.search(query, 100);
        // a Lucene Query does not carry the user's text: bind it for this search
        TopDocs reranked = rescorer.forQuery(userQuery).rescore(searcher, firstStage, 10);
        for (ScoreDoc hit : reranked.scoreDocs) {
          System.out.printf("%s %.4f %s%n", reader.storedFields().document(hit.doc).get("id"),
              hit.score, rescorer.forQuery(userQuery).explain(searcher,
                  searcher.explain(query, hit.doc), hit.doc).getDescription());
        }
      }
    }
  }
}
