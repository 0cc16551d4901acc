/*
 * Hookline fact world: deterministic invented person names built from syllables.
 */
package dev.hookline.world;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Builds two-word invented names ("Varo Telmidan"). Last names are unique across subjects (editing
 * reads the hidden state at the subject's last token, so that token must identify the subject) and
 * never equal a first name; first names come from a smaller pool and are shared, as in real data.
 * No name word equals (case-insensitively) any word of the rest of the world's text.
 */
final class SubjectNames {

  private static final String[] ONSETS = {
      "b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "gr", "kr", "tr", "st"};
  private static final String[] VOWELS = {"a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ou"};
  private static final String[] CODAS = {"", "", "n", "r", "l", "s", "k"};

  private SubjectNames() {}

  /**
   * @param count number of names
   * @param rng the seeded source; the same state gives the same names
   * @param forbidden lower-case words a name word must not equal
   */
  static List<String> generate(int count, SplittableRandom rng, Set<String> forbidden) {
    Set<String> used = new LinkedHashSet<>(forbidden);
    int firstPoolSize = Math.max(10, count / 4);
    List<String> firstNames = new ArrayList<>(firstPoolSize);
    while (firstNames.size() < firstPoolSize) {
      String w = word(rng, 2);
      if (used.add(w.toLowerCase(Locale.ROOT))) {
        firstNames.add(w);
      }
    }
    List<String> names = new ArrayList<>(count);
    while (names.size() < count) {
      String last = word(rng, 3);
      if (used.add(last.toLowerCase(Locale.ROOT))) {
        names.add(firstNames.get(rng.nextInt(firstPoolSize)) + " " + last);
      }
    }
    return names;
  }

  /** A capitalised word of {@code syllables} onset+vowel syllables and a final coda. */
  private static String word(SplittableRandom rng, int syllables) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < syllables; i++) {
      b.append(ONSETS[rng.nextInt(ONSETS.length)]).append(VOWELS[rng.nextInt(VOWELS.length)]);
    }
    b.append(CODAS[rng.nextInt(CODAS.length)]);
    return Character.toUpperCase(b.charAt(0)) + b.substring(1);
  }
}
