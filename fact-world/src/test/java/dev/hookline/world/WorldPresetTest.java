package dev.hookline.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WorldPresetTest {

  @Test
  void namedPresetsHaveTheDocumentedSizes() {
    WorldPreset tiny = WorldPreset.named("tiny");
    assertEquals("tiny", tiny.name());
    assertTrue(tiny.subjects() >= 40 && tiny.subjects() <= 60, "tiny subjects " + tiny.subjects());
    assertTrue(tiny.editCases() >= 100, "tiny edit cases " + tiny.editCases());
    WorldPreset demo = WorldPreset.named("demo");
    assertTrue(demo.subjects() >= 500, "demo subjects " + demo.subjects());
    assertTrue(demo.editCases() >= 1000, "demo edit cases " + demo.editCases());
  }

  @Test
  void unknownPresetNamesTheValidOnes() {
    var e = assertThrows(IllegalArgumentException.class, () -> WorldPreset.named("huge"));
    assertEquals("unknown world preset 'huge'; valid presets: tiny, demo, large", e.getMessage());
    var n = assertThrows(IllegalArgumentException.class, () -> WorldPreset.named(null));
    assertTrue(n.getMessage().contains("tiny, demo"), n.getMessage());
  }

  @Test
  void invalidPresetsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new WorldPreset(" ", 1, 48, 10));
    assertThrows(IllegalArgumentException.class, () -> new WorldPreset("x", 1, 19, 10));
    assertThrows(IllegalArgumentException.class, () -> new WorldPreset("x", 1, 48, 0));
  }

  @Test
  void tooManyEditCasesForTheWorldFailsClearly() {
    var e = assertThrows(IllegalStateException.class, () -> FactWorld.generate(new WorldPreset("small", 3, 48, 5000)));
    assertTrue(e.getMessage().contains("5000 edit cases requested but only"), e.getMessage());
  }
}
