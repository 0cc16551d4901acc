/*
 * Reads a model's tokenizer.json (Hugging Face tokenizers format, version 1.0) far enough to say
 * which words it cannot encode (issue 25: out-of-vocabulary subjects are refused at submission).
 * WordLevel models (the fact world's tokenizer) map an unknown word to their unk_token; the
 * pre-tokenizer splits like HF's Whitespace (\w+|[^\w\s]+) or WhitespaceSplit. Byte-level BPE
 * encodes every string, so nothing is unknown; other models are not checked.
 */
package dev.hookline.registry.governance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The words a tokenizer knows, or "everything" for tokenizers without unknown tokens. */
public final class TokenizerVocabulary {

    private static final Pattern WHITESPACE = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern SPLIT = Pattern.compile("\\S+");

    /** null: every string encodes without unknown tokens (or the model type is not checked). */
    private final Set<String> words;
    private final Pattern pre;
    private final String kind;

    private TokenizerVocabulary(Set<String> words, Pattern pre, String kind) {
        this.words = words;
        this.pre = pre;
        this.kind = kind;
    }

    /** Parses tokenizer.json; anything that is not a WordLevel model yields a vocabulary without unknowns. */
    public static TokenizerVocabulary read(InputStream in) throws IOException {
        JsonNode root = new ObjectMapper().readTree(in);
        JsonNode model = root.path("model");
        String type = model.path("type").asText("");
        if (!type.equals("WordLevel") || !model.path("vocab").isObject()) {
            return new TokenizerVocabulary(null, null, type.isEmpty() ? "unrecognised" : type);
        }
        Set<String> words = new HashSet<>();
        model.path("vocab").fieldNames().forEachRemaining(words::add);
        String unk = model.path("unk_token").asText(null);
        if (unk != null) {
            words.remove(unk); // encoding to the unknown token is exactly what is refused
        }
        String preType = root.path("pre_tokenizer").path("type").asText("Whitespace");
        return new TokenizerVocabulary(words, preType.equals("WhitespaceSplit") ? SPLIT : WHITESPACE, type);
    }

    /** The tokenizer model type ({@code WordLevel}, {@code BPE}, ...). */
    public String kind() {
        return kind;
    }

    /** Whether this tokenizer can map a word to an unknown token at all. */
    public boolean checks() {
        return words != null;
    }

    /** The pieces of {@code text} that would encode as the unknown token, in order, without repeats. */
    public List<String> unknown(String text) {
        if (words == null || text == null) {
            return List.of();
        }
        Set<String> out = new LinkedHashSet<>();
        Matcher m = pre.matcher(text);
        while (m.find()) {
            if (!words.contains(m.group())) {
                out.add(m.group());
            }
        }
        return new ArrayList<>(out);
    }
}
