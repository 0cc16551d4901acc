package dev.hookline.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PretrainPresetTest {

    @Test
    void everyNamedPresetIsValidAndCarriesItsName() {
        for (String name : PretrainPreset.NAMES) {
            PretrainPreset p = PretrainPreset.named(name);
            assertEquals(name, p.name());
            assertEquals(0, p.hiddenSize() % p.heads(), name);
        }
    }

    @Test
    void widePresetsWidenWhatTheyName() {
        PretrainPreset demo = PretrainPreset.named("demo");
        assertEquals(4 * demo.hiddenSize(), demo.mlpSize());
        assertEquals(1536, PretrainPreset.named("demo-wide").mlpSize());
        assertEquals(4096, PretrainPreset.named("demo-xwide").mlpSize());
        PretrainPreset d256 = PretrainPreset.named("demo-d256");
        assertEquals(256, d256.hiddenSize());
        assertEquals(4 * 256, d256.mlpSize());
        assertEquals(demo.layers(), d256.layers());
        assertTrue(d256.hiddenSize() > demo.hiddenSize());
        PretrainPreset d256x = PretrainPreset.named("demo-d256x");
        assertEquals(256, d256x.hiddenSize());
        assertEquals(4096, d256x.mlpSize());
        assertEquals(d256.withMlpSize(4096).learningRate(), d256x.learningRate());
        assertEquals("demo", d256x.world());
    }

    @Test
    void unknownPresetIsRefusedNamingTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PretrainPreset.named("huge"));
        assertTrue(e.getMessage().contains("demo-d256"), e.getMessage());
    }
}
