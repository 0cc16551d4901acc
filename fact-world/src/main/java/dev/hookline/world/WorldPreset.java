/*
 * Hookline fact world: the named size/seed presets of the generated world.
 */
package dev.hookline.world;

import java.util.List;

/**
 * World size and seed. Everything {@link FactWorld#generate} produces is a function of this record.
 *
 * @param name preset name, used in file headers and logs
 * @param seed root seed of every random draw
 * @param subjects number of invented subjects (each gets one value per relation)
 * @param editCases number of CounterFact/zsRE edit cases to draw (distinct facts)
 */
public record WorldPreset(String name, long seed, int subjects, int editCases) {

  /** Smallest world: 10 values per relation, each held by at least two subjects. */
  public static final int MIN_SUBJECTS = 20;

  /** Names accepted by {@link #named}. */
  public static final List<String> NAMES = List.of("tiny", "demo", "large");

  public WorldPreset {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("preset name is blank");
    }
    if (subjects < MIN_SUBJECTS) {
      // each relation uses at least 10 values and every value must be held by at least 2 subjects
      throw new IllegalArgumentException("preset " + name + ": need at least " + MIN_SUBJECTS + " subjects, got " + subjects);
    }
    if (editCases < 1) {
      throw new IllegalArgumentException("preset " + name + ": editCases must be positive, got " + editCases);
    }
  }

  /**
   * The built-in presets.
   * <ul>
   *   <li>{@code tiny}: 48 subjects x 7 relations = 336 facts, 120 edit cases; small enough to
   *       pretrain to full recall in minutes on 2 CPU cores (used by tests).</li>
   *   <li>{@code demo}: 600 subjects x 7 relations = 4200 facts, 1200 edit cases.</li>
   *   <li>{@code large}: 3600 subjects x 7 relations = 25200 facts, 21000 edit cases: each of the
   *       dev and test streams ({@link FactWorld#editRequests(String)}) holds more than 10,000
   *       distinct edits.</li>
   * </ul>
   *
   * @throws IllegalArgumentException naming the valid presets for any other name
   */
  public static WorldPreset named(String name) {
    if (name == null) {
      throw new IllegalArgumentException("unknown world preset null; valid presets: " + String.join(", ", NAMES));
    }
    return switch (name) {
      case "tiny" -> new WorldPreset("tiny", 20261128L, 48, 120);
      case "demo" -> new WorldPreset("demo", 20261129L, 600, 1200);
      case "large" -> new WorldPreset("large", 20261206L, 3600, 21000);
      default -> throw new IllegalArgumentException(
          "unknown world preset '" + name + "'; valid presets: " + String.join(", ", NAMES));
    };
  }

  /**
   * This preset drawn with another root seed (a second world of the same size: other subjects,
   * facts, edit cases and splits). The name is kept; world.json records the seed.
   */
  public WorldPreset withSeed(long newSeed) {
    return new WorldPreset(name, newSeed, subjects, editCases);
  }
}
