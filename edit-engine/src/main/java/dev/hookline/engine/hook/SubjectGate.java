/*
 * The subject-mention gate of codebook-subject: an edited key may route a position only where its edit's subject
 * has been mentioned, its tokens ending at or before that position. The nearest-key score still decides among the
 * mentioned edits; the gate removes the edits of other subjects, whose keys a weak model's last token confuses
 * (docs/BENCHMARKS.md, twenty-sixth and twenty-seventh sessions: 846 of 857 leaks of the GPU seed-3 draw went to an
 * edit whose subject shares the first name).
 * Reference: this project's method; the request's subject as the scope's anchor is ROME/MEMIT's subject locus.
 */
package dev.hookline.engine.hook;

import dev.hookline.engine.infer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Per edited-key column the subject's token spellings: at the start of a text ({@code encode(subject)}) and after a
 * space ({@code subject} as it continues a word, {@link TextTokenizer#continuation}). Matching is exact on token
 * ids: another spelling of the subject (case, an alias, a possessive merged into its last token) is not a mention.
 * Immutable.
 */
public final class SubjectGate {
    private final List<String> subjects; // per column
    private final Map<Integer, Map<Spelling, int[]>> byLength = new LinkedHashMap<>(); // length -> spelling -> columns

    private record Spelling(int[] ids) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Spelling s && Arrays.equals(ids, s.ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }
    }

    /**
     * @param subjects the subject of each edited-key column, in column order (non-blank)
     * @param tokenizer the model's tokenizer
     */
    public SubjectGate(List<String> subjects, TextTokenizer tokenizer) {
        this(subjects, spellings(tokenizer));
    }

    /**
     * @param subjects the subject of each edited-key column, in column order (non-blank)
     * @param spell a subject's token spellings ({@link #spellings}; a caller may memoise it)
     */
    public SubjectGate(List<String> subjects, java.util.function.Function<String, int[][]> spell) {
        this.subjects = List.copyOf(subjects);
        Map<Spelling, TreeSet<Integer>> columns = new HashMap<>();
        for (int c = 0; c < this.subjects.size(); c++) {
            String s = this.subjects.get(c);
            if (s == null || s.isBlank()) {
                throw new IllegalArgumentException("edited-key column " + c + " has no subject: the subject gate needs one");
            }
            for (int[] spelling : spell.apply(s)) {
                if (spelling.length > 0) {
                    columns.computeIfAbsent(new Spelling(spelling), k -> new TreeSet<>()).add(c);
                }
            }
        }
        columns.forEach((s, cs) -> byLength.computeIfAbsent(s.ids().length, k -> new HashMap<>())
                .put(s, cs.stream().mapToInt(Integer::intValue).toArray()));
    }

    /** A subject's spellings: its ids at the start of a text and after a space (as it continues "a"). */
    public static java.util.function.Function<String, int[][]> spellings(TextTokenizer tokenizer) {
        return x -> new int[][] {tokenizer.encode(x), tokenizer.continuation("a", x).targetIds()};
    }

    /** The subject of each column. */
    public List<String> subjects() {
        return subjects;
    }

    /** Columns gated, E. */
    public int columns() {
        return subjects.size();
    }

    /**
     * The columns each position may take: for row b of {@code tokens} (every token of the row from position 0, the
     * padding id where the row is padded) and positions {@code offset .. offset + length - 1}, the ascending columns
     * whose subject's spelling ends at or before the position; null where none.
     *
     * @return row-major (B, length)
     */
    public int[][] allowed(int[][] tokens, int offset, int length) {
        int[][] out = new int[tokens.length * length][];
        for (int b = 0; b < tokens.length; b++) {
            int[] row = tokens[b];
            TreeSet<Integer> seen = new TreeSet<>();
            int[] current = null;
            for (int t = 0; t < Math.min(row.length, offset + length); t++) {
                boolean grew = false;
                for (Map.Entry<Integer, Map<Spelling, int[]>> e : byLength.entrySet()) {
                    int n = e.getKey();
                    if (t + 1 >= n) {
                        int[] cs = e.getValue().get(new Spelling(Arrays.copyOfRange(row, t + 1 - n, t + 1)));
                        if (cs != null) {
                            for (int c : cs) {
                                grew |= seen.add(c);
                            }
                        }
                    }
                }
                if (grew) {
                    current = seen.stream().mapToInt(Integer::intValue).toArray();
                }
                if (t >= offset) {
                    out[b * length + (t - offset)] = current;
                }
            }
        }
        return out;
    }

    /** The subject spellings' token lengths, ascending (for tests and reports). */
    public List<Integer> lengths() {
        return new ArrayList<>(new TreeSet<>(byLength.keySet()));
    }
}
