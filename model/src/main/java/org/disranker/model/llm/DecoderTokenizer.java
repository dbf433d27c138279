package org.disranker.model.llm;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds decoder inputs from a Hugging Face tokenizer.json and the model's bos / eos ids.
 *
 * <p>Ranking input follows a template, by default the paper's {@code <s> {query} : {title} :
 * {summary} </s>}: {@code <s>} and {@code </s>} become the bos and eos ids, the fields are
 * tokenized on their own, the literal text between them too. Too long an input loses summary
 * tokens first, then title, then query tokens. A passage without a title leaves the field empty.
 *
 * <p>Continued pre-training examples are {@code <s> query : target </s>} with the loss on the
 * target tokens and the final eos only.
 */
public final class DecoderTokenizer implements AutoCloseable {
  public static final String DEFAULT_TEMPLATE = "<s> {query} : {title} : {summary} </s>";
  private static final Pattern PART = Pattern.compile("<s>|</s>|\\{query}|\\{title}|\\{summary}");

  /** An encoded sequence; {@code labels} marks the tokens a language-model loss predicts. */
  public record Encoded(long[] ids, boolean[] labels) {
    public int length() {
      return ids.length;
    }
  }

  private final HuggingFaceTokenizer tokenizer;
  private final long bos;
  private final long eos;
  private final List<String> parts = new ArrayList<>();

  public DecoderTokenizer(byte[] tokenizerJson, long bos, long eos, String template) {
    try {
      tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
          Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.bos = bos;
    this.eos = eos;
    String t = template == null ? DEFAULT_TEMPLATE : template;
    if (!t.contains("{query}") || !t.contains("{summary}")) {
      throw new IllegalArgumentException("template must contain {query} and {summary}: " + t);
    }
    Matcher m = PART.matcher(t);
    int last = 0;
    while (m.find()) {
      if (m.start() > last) {
        parts.add(t.substring(last, m.start()));
      }
      parts.add(m.group());
      last = m.end();
    }
    if (last < t.length()) {
      parts.add(t.substring(last));
    }
  }

  public long[] tokens(String text) {
    if (text.isBlank()) {
      return new long[0];
    }
    return tokenizer.encode(text, false, false).getIds();
  }

  /** The ranking input of a (query, title, summary) triple, at most maxLength tokens. */
  public long[] rankInput(String query, String title, String summary, int maxLength) {
    List<long[]> pieces = new ArrayList<>();
    int fixed = 0;
    long[] q = tokens(query);
    long[] ti = tokens(title);
    long[] su = tokens(summary);
    for (String p : parts) {
      long[] piece = switch (p) {
        case "<s>" -> new long[] {bos};
        case "</s>" -> new long[] {eos};
        case "{query}" -> q;
        case "{title}" -> ti;
        case "{summary}" -> su;
        default -> tokens(p);
      };
      pieces.add(piece);
      if (!p.startsWith("{")) {
        fixed += piece.length;
      }
    }
    int budget = maxLength - fixed;
    if (budget < 1) {
      throw new IllegalArgumentException("max length " + maxLength + " leaves no room for text");
    }
    int suKeep = Math.min(su.length, Math.max(0, budget - q.length - ti.length));
    int tiKeep = Math.min(ti.length, Math.max(0, budget - q.length - suKeep));
    int qKeep = Math.min(q.length, budget - suKeep - tiKeep);
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      long[] piece = pieces.get(i);
      int keep = switch (parts.get(i)) {
        case "{query}" -> qKeep;
        case "{title}" -> tiKeep;
        case "{summary}" -> suKeep;
        default -> piece.length;
      };
      for (int k = 0; k < keep; k++) {
        out.add(piece[k]);
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  /** {@code <s> query : target </s>}, labels on target and eos; the target is cut to fit. */
  public Encoded cptExample(String query, String target, int maxLength) {
    long[] q = tokens(query);
    long[] colon = tokens(":");
    long[] t = tokens(target);
    int prefix = 1 + q.length + colon.length;
    if (prefix + 2 > maxLength) {
      int qKeep = Math.max(0, maxLength - 3 - colon.length);
      q = java.util.Arrays.copyOf(q, Math.min(q.length, qKeep));
      prefix = 1 + q.length + colon.length;
    }
    int tKeep = Math.min(t.length, maxLength - prefix - 1);
    int n = prefix + tKeep + 1;
    long[] ids = new long[n];
    boolean[] labels = new boolean[n];
    ids[0] = bos;
    System.arraycopy(q, 0, ids, 1, q.length);
    System.arraycopy(colon, 0, ids, 1 + q.length, colon.length);
    System.arraycopy(t, 0, ids, prefix, tKeep);
    ids[n - 1] = eos;
    for (int i = prefix; i < n; i++) {
      labels[i] = true;
    }
    return new Encoded(ids, labels);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
