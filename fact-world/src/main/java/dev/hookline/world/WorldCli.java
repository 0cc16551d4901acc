/*
 * Hookline fact world: command line entry point that writes a world's files to a directory.
 */
package dev.hookline.world;

import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code java -cp fact-world.jar dev.hookline.world.WorldCli <preset> <dir>}: writes corpus.txt,
 * world.json, counterfact.json, zsre.json and tokenizer.json of a preset into dir and prints the sizes.
 * Exit code 2 on bad arguments, 1 on an I/O failure.
 */
public final class WorldCli {

  private WorldCli() {}

  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: WorldCli <preset: " + String.join("|", WorldPreset.NAMES) + "> <output dir>");
      System.exit(2);
    }
    WorldPreset preset;
    try {
      preset = WorldPreset.named(args[0]);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    FactWorld world = FactWorld.generate(preset);
    try {
      world.writeTo(Path.of(args[1]));
    } catch (IOException e) {
      System.err.println("cannot write " + args[1] + ": " + e.getMessage());
      System.exit(1);
    }
    FactWorld.Stats s = world.stats();
    System.out.printf("preset %s: %d subjects x %d relations = %d facts, %d edit cases, corpus %d lines / %d tokens,"
        + " vocab %d -> %s%n", s.preset(), s.subjects(), s.relations(), s.facts(), s.editCases(), s.corpusLines(),
        s.corpusTokens(), s.vocabSize(), Path.of(args[1]).toAbsolutePath());
  }
}
