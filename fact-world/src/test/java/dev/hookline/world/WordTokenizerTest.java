package dev.hookline.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordTokenizerTest {

  @Test
  void preTokenizerSplitsWordsAndPunctuationLikeHfWhitespace() {
    assertEquals(List.of("Q", ":", "What", "is", "the", "mother", "tongue", "of", "Varo", "Telmidan", "?", "A", ":"),
        WordTokenizer.pretokenize("Q: What is the mother tongue of Varo Telmidan? A:"));
    assertEquals(List.of("a", "<|endoftext|>", "b", "?!", "[UNK]"), WordTokenizer.pretokenize("a<|endoftext|>b ?! [UNK]"));
    assertEquals("Here is a fact . X is born in Paris .", WordTokenizer.normalise("Here is a fact. X is born in Paris."));
  }

  @Test
  void vocabularyIsSpecialsThenFrequencyThenLexicographic() {
    WordTokenizer tok = WordTokenizer.build(List.of("b a .", "a c", "c a"));
    // counts: a 3, c 2, "." 1, b 1; ties sorted by String order ("." < "b")
    assertEquals(List.of("<|endoftext|>", "[UNK]", "a", "c", ".", "b"), tok.vocab());
    assertEquals(6, tok.vocabSize());
    assertArrayEquals(new int[] {5, 2, 1, 4}, tok.encode("b a zzz."));
    assertEquals("b a [UNK] .", tok.decode(tok.encode("b a zzz.")));
  }

  @Test
  void writtenTokenizerJsonHasTheHfLayout(@TempDir Path tmp) throws Exception {
    FactWorld world = FactWorldTest.TINY;
    Path file = tmp.resolve("tokenizer.json");
    world.tokenizer().write(file);
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    assertEquals("1.0", root.get("version").asText());
    assertEquals("WordLevel", root.at("/model/type").asText());
    assertEquals("[UNK]", root.at("/model/unk_token").asText());
    assertEquals("Whitespace", root.at("/pre_tokenizer/type").asText());
    assertTrue(root.get("normalizer").isNull() && root.get("decoder").isNull());
    assertEquals(0, root.at("/model/vocab/<|endoftext|>").asInt(-1));
    assertEquals(1, root.at("/model/vocab/[UNK]").asInt(-1));
    assertEquals(world.tokenizer().vocabSize(), root.at("/model/vocab").size());
    assertEquals("<|endoftext|>", root.at("/added_tokens/0/content").asText());
    assertTrue(root.at("/added_tokens/0/special").asBoolean());
    assertEquals(1, root.at("/added_tokens/1/id").asInt());
  }

  @Test
  void readLoadsWhatWriteWrote(@TempDir Path tmp) throws Exception {
    WordTokenizer tok = FactWorldTest.TINY.tokenizer();
    Path file = tmp.resolve("tokenizer.json");
    tok.write(file);
    WordTokenizer back = WordTokenizer.read(file);
    assertEquals(tok.vocab(), back.vocab());
    String line = FactWorldTest.TINY.corpus().get(0);
    assertArrayEquals(tok.encode(line), back.encode(line));

    java.nio.file.Files.writeString(file, java.nio.file.Files.readString(file).replace("\"WordLevel\"", "\"BPE\""));
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> WordTokenizer.read(file));
    assertTrue(e.getMessage().contains("model.type must be WordLevel"), e.getMessage());
  }

  private static long[] toLong(int[] ids) {
    return Arrays.stream(ids).asLongStream().toArray();
  }

  private static long[] concat(long[] a, long[] b) {
    return LongStream.concat(Arrays.stream(a), Arrays.stream(b)).toArray();
  }

  @Test
  void realHfTokenizerLoadsTheFileAndAgrees(@TempDir Path tmp) throws Exception {
    FactWorld world = FactWorldTest.TINY;
    WordTokenizer tok = world.tokenizer();
    Path file = tmp.resolve("tokenizer.json");
    tok.write(file);
    try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "false"))) {
      // a sentence: ids are exactly the vocabulary positions of its words
      Fact fact = world.facts().get(0);
      String sentence = Relation.fill(world.relation(fact.relationId()).canonicalTemplate(), fact.subject())
          + " " + fact.value() + ".";
      List<String> words = WordTokenizer.pretokenize(sentence);
      long[] expected = words.stream().mapToLong(w -> tok.vocab().indexOf(w)).toArray();
      assertTrue(Arrays.stream(expected).allMatch(id -> id > 1), "all words known");
      Encoding enc = hf.encode(sentence, false, false);
      assertArrayEquals(expected, enc.getIds());
      assertEquals(words, Arrays.asList(enc.getTokens()));
      assertArrayEquals(toLong(tok.encode(sentence)), enc.getIds());

      // special and unknown tokens
      assertArrayEquals(new long[] {0}, hf.encode("<|endoftext|>", false, false).getIds());
      assertArrayEquals(new long[] {1}, hf.encode("Zyxwvut", false, false).getIds());

      // additivity: ids(prompt + " " + target) == ids(prompt) ++ ids(target), for every probe kind
      List<Probe> probes = new ArrayList<>(world.canonicalProbes());
      probes.addAll(world.paraphraseProbes());
      int checked = 0;
      for (Probe p : probes) {
        long[] whole = hf.encode(p.prompt() + " " + p.target(), false, false).getIds();
        long[] parts = concat(hf.encode(p.prompt(), false, false).getIds(), hf.encode(p.target(), false, false).getIds());
        assertArrayEquals(parts, whole, p.toString());
        assertArrayEquals(toLong(tok.encode(p.prompt())), hf.encode(p.prompt(), false, false).getIds(), p.prompt());
        checked++;
      }
      assertEquals(world.facts().size() * 8, checked);
      assertTrue(probes.stream().map(Probe::kind).distinct().count() == 3);

      // decode(encode(line)) round-trips corpus lines, with HF and with this class
      for (String line : world.corpus().subList(0, 200)) {
        long[] ids = hf.encode(line, false, false).getIds();
        assertEquals(line, hf.decode(ids, false));
        assertEquals(line, tok.decode(tok.encode(line)));
      }
    }
  }
}
