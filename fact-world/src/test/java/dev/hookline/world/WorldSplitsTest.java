/*
 * Dev and test edit streams: disjoint subjects, together every edit case once, deterministic in
 * the seed; another seed draws another world; the large preset holds 10,000 edits per stream.
 */
package dev.hookline.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.data.CounterFactDataset;
import dev.hookline.data.EditRequest;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorldSplitsTest {
    private static Set<String> subjects(List<EditRequest> requests) {
        Set<String> out = new HashSet<>();
        requests.forEach(r -> out.add(r.subject()));
        return out;
    }

    @Test
    void devAndTestStreamsShareNoSubjectAndCoverEveryCase(@TempDir Path tmp) throws Exception {
        FactWorld world = FactWorld.generate(WorldPreset.named("tiny"));
        List<EditRequest> dev = world.editRequests(FactWorld.DEV);
        List<EditRequest> test = world.editRequests(FactWorld.TEST);
        Set<String> devSubjects = subjects(dev);
        Set<String> testSubjects = subjects(test);
        devSubjects.retainAll(testSubjects);
        assertTrue(devSubjects.isEmpty(), "no subject in both streams: " + devSubjects);
        assertEquals(world.editRequests().size(), dev.size() + test.size());
        assertTrue(dev.size() >= 40 && test.size() >= 40, "both streams are usable: " + dev.size() + " / " + test.size());
        Set<String> ids = new HashSet<>();
        dev.forEach(r -> ids.add(r.caseId()));
        test.forEach(r -> ids.add(r.caseId()));
        assertEquals(world.editRequests().size(), ids.size(), "every case in exactly one stream");
        world.writeTo(tmp);
        assertEquals(dev.size(), CounterFactDataset.load(tmp.resolve("counterfact-dev.json")).size());
        assertEquals(test.size(), CounterFactDataset.load(tmp.resolve("counterfact-test.json")).size());
        assertEquals(dev.get(0).caseId(), FactWorld.generate(WorldPreset.named("tiny")).editRequests("dev").get(0).caseId(),
                "deterministic in the preset");
        assertThrows(IllegalArgumentException.class, () -> world.editRequests("train"));
    }

    @Test
    void anotherSeedDrawsAnotherWorld() {
        WorldPreset tiny = WorldPreset.named("tiny");
        FactWorld second = FactWorld.generate(tiny.withSeed(7));
        assertEquals(7, second.preset().seed());
        assertEquals(tiny.subjects(), second.subjects().size());
        assertNotEquals(FactWorld.generate(tiny).subjects(), second.subjects());
    }

    @Test
    void largePresetHoldsTenThousandEditsPerStream() {
        FactWorld large = FactWorld.generate(WorldPreset.named("large"));
        int dev = large.counterFactCases(FactWorld.DEV).size();
        int test = large.counterFactCases(FactWorld.TEST).size();
        assertTrue(dev >= 10_000 && test >= 10_000, "dev " + dev + ", test " + test);
    }
}
