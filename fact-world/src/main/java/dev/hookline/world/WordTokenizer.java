/*
 * Hookline fact world: a word-level tokenizer written in the Hugging Face tokenizers JSON format
 * (tokenizer.json, "version": "1.0", WordLevel model, Whitespace pre-tokenizer), so that the same
 * file loads with the HF tokenizers library (and DJL's binding of it) and with this class.
 */
package dev.hookline.world;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.JsonFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Word-level tokenizer: one id per whitespace/punctuation-separated word of the corpus.
 *
 * <p>Pre-tokenisation is HF's {@code Whitespace} pre-tokenizer, the regex {@code \w+|[^\w\s]+}: runs of
 * word characters, and runs of other non-space characters ("?" ":" "." become their own tokens when
 * written apart from letters). There is no normaliser (case is kept) and no decoder, so HF decodes by
 * joining tokens with single spaces; corpus lines are written in exactly that form so that
 * decode(encode(line)) == line.
 *
 * <p>Vocabulary order: {@code <|endoftext|>} (id 0, end of text / document separator), {@code [UNK]}
 * (id 1), then corpus words by frequency descending, ties broken lexicographically (String order).
 */
public final class WordTokenizer {

  /** End-of-text token, id 0 (GPT-2's name for it). */
  public static final String EOS = "<|endoftext|>";
  /** Unknown-word token, id 1. */
  public static final String UNK = "[UNK]";

  private static final Pattern PRE_TOKENIZER =
      Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);
  private static final List<String> SPECIALS = List.of(EOS, UNK);

  private final List<String> vocab;
  private final Map<String, Integer> ids;

  private WordTokenizer(List<String> vocab) {
    this.vocab = List.copyOf(vocab);
    this.ids = new HashMap<>();
    for (int i = 0; i < this.vocab.size(); i++) {
      if (ids.put(this.vocab.get(i), i) != null) {
        throw new IllegalArgumentException("duplicate token in vocabulary: " + this.vocab.get(i));
      }
    }
    if (!this.vocab.subList(0, Math.min(2, this.vocab.size())).equals(SPECIALS)) {
      throw new IllegalArgumentException("vocabulary must start with " + SPECIALS + ", starts with "
          + this.vocab.subList(0, Math.min(2, this.vocab.size())));
    }
  }

  /**
   * Reads a tokenizer.json written by {@link #write} (or any HF file of the same kind: WordLevel model,
   * Whitespace pre-tokenizer, no normaliser, ids 0..n-1 with {@code <|endoftext|>} = 0 and {@code [UNK]} = 1).
   *
   * @throws IOException if the file cannot be read or is not JSON
   * @throws IllegalArgumentException naming the file and the offending part if it is of another kind
   */
  public static WordTokenizer read(Path tokenizerJson) throws IOException {
    JsonNode root = new ObjectMapper().readTree(tokenizerJson.toFile());
    String where = tokenizerJson + ": ";
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(where + "expected a JSON object");
    }
    JsonNode model = root.path("model");
    if (!"WordLevel".equals(model.path("type").asText())) {
      throw new IllegalArgumentException(where + "model.type must be WordLevel, found " + model.path("type"));
    }
    if (!"Whitespace".equals(root.path("pre_tokenizer").path("type").asText())) {
      throw new IllegalArgumentException(where + "pre_tokenizer.type must be Whitespace, found " + root.path("pre_tokenizer"));
    }
    if (!root.path("normalizer").isNull() && !root.path("normalizer").isMissingNode()) {
      throw new IllegalArgumentException(where + "normalizer must be null, found " + root.path("normalizer"));
    }
    if (!UNK.equals(model.path("unk_token").asText())) {
      throw new IllegalArgumentException(where + "model.unk_token must be " + UNK + ", found " + model.path("unk_token"));
    }
    JsonNode vocabNode = model.path("vocab");
    if (!vocabNode.isObject()) {
      throw new IllegalArgumentException(where + "model.vocab must be an object of token -> id");
    }
    String[] byId = new String[vocabNode.size()];
    var fields = vocabNode.fields();
    while (fields.hasNext()) {
      var e = fields.next();
      JsonNode id = e.getValue();
      if (!id.canConvertToInt() || id.intValue() < 0 || id.intValue() >= byId.length || byId[id.intValue()] != null) {
        throw new IllegalArgumentException(where + "model.vocab ids must be 0.." + (byId.length - 1)
            + " without gaps or repeats; token " + e.getKey() + " has " + id);
      }
      byId[id.intValue()] = e.getKey();
    }
    try {
      return new WordTokenizer(List.of(byId));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + e.getMessage(), e);
    }
  }

  /** Builds the vocabulary from corpus lines: special tokens, then words by frequency desc, then lexicographic. */
  public static WordTokenizer build(List<String> corpusLines) {
    Map<String, Integer> counts = new HashMap<>();
    for (String line : corpusLines) {
      for (String w : pretokenize(line)) {
        if (!SPECIALS.contains(w)) {
          counts.merge(w, 1, Integer::sum);
        }
      }
    }
    List<String> words = new ArrayList<>(counts.keySet());
    words.sort(Comparator.<String>comparingInt(counts::get).reversed().thenComparing(Comparator.naturalOrder()));
    List<String> vocab = new ArrayList<>(SPECIALS);
    vocab.addAll(words);
    return new WordTokenizer(vocab);
  }

  /**
   * Splits text into word tokens exactly as the written tokenizer.json does: special tokens are matched
   * first, the rest goes through the {@code Whitespace} pre-tokenizer.
   */
  public static List<String> pretokenize(String text) {
    List<String> out = new ArrayList<>();
    int from = 0;
    while (from <= text.length()) {
      int next = -1;
      String special = null;
      for (String s : SPECIALS) {
        int at = text.indexOf(s, from);
        if (at >= 0 && (next < 0 || at < next)) {
          next = at;
          special = s;
        }
      }
      String plain = text.substring(from, next < 0 ? text.length() : next);
      Matcher m = PRE_TOKENIZER.matcher(plain);
      while (m.find()) {
        out.add(m.group());
      }
      if (next < 0) {
        break;
      }
      out.add(special);
      from = next + special.length();
    }
    return out;
  }

  /** Text in canonical tokenised form: the words joined by single spaces (what decoding yields). */
  public static String normalise(String text) {
    return String.join(" ", pretokenize(text));
  }

  /** Number of word tokens in the given lines (what one pass over them feeds the model, without separators). */
  public static long countTokens(List<String> lines) {
    long n = 0;
    for (String line : lines) {
      n += pretokenize(line).size();
    }
    return n;
  }

  /** Token ids of a text, no special tokens added; unknown words map to {@link #unkId()}. */
  public int[] encode(String text) {
    List<String> words = pretokenize(text);
    int[] out = new int[words.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ids.getOrDefault(words.get(i), unkId());
    }
    return out;
  }

  /** Joins the tokens of the ids with single spaces (as HF does without a decoder). */
  public String decode(int[] tokenIds) {
    StringBuilder b = new StringBuilder();
    for (int id : tokenIds) {
      if (b.length() > 0) {
        b.append(' ');
      }
      b.append(token(id));
    }
    return b.toString();
  }

  /** Id of a token, or -1 if it is not in the vocabulary. */
  public int id(String token) {
    return ids.getOrDefault(token, -1);
  }

  /** Token string of an id. */
  public String token(int id) {
    if (id < 0 || id >= vocab.size()) {
      throw new IllegalArgumentException("token id " + id + " outside vocabulary of size " + vocab.size());
    }
    return vocab.get(id);
  }

  /** Whether a word is in the vocabulary. */
  public boolean contains(String token) {
    return ids.containsKey(token);
  }

  /** Number of tokens including the special ones. */
  public int vocabSize() {
    return vocab.size();
  }

  /** The vocabulary in id order. */
  public List<String> vocab() {
    return vocab;
  }

  /** Id of {@code <|endoftext|>} (0). */
  public int eosId() {
    return 0;
  }

  /** Id of {@code [UNK]} (1). */
  public int unkId() {
    return 1;
  }

  /** Writes the HF tokenizers JSON file (byte-stable for the same vocabulary). */
  public void write(Path tokenizerJson) throws IOException {
    ObjectNode root = JsonFiles.object();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int i = 0; i < SPECIALS.size(); i++) {
      ObjectNode t = added.addObject();
      t.put("id", i);
      t.put("content", SPECIALS.get(i));
      t.put("single_word", false);
      t.put("lstrip", false);
      t.put("rstrip", false);
      t.put("normalized", false);
      t.put("special", true);
    }
    root.putNull("normalizer");
    root.putObject("pre_tokenizer").put("type", "Whitespace");
    root.putNull("post_processor");
    root.putNull("decoder");
    ObjectNode model = root.putObject("model");
    model.put("type", "WordLevel");
    ObjectNode vocabNode = model.putObject("vocab");
    for (int i = 0; i < vocab.size(); i++) {
      vocabNode.put(vocab.get(i), i);
    }
    model.put("unk_token", UNK);
    JsonFiles.write(tokenizerJson, root);
  }
}
