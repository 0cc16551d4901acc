/*
 * Relation labels an editor is given: none, the data's, or an exact share of wrong ones.
 */
package dev.hookline.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.data.EditRequest;
import dev.hookline.world.FactWorld;
import dev.hookline.world.WorldPreset;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LabelsTest {
    @Test
    void noneGivenAndAShareOfWrongLabels() {
        List<EditRequest> stream = FactWorld.generate(WorldPreset.named("tiny")).editRequests("dev").subList(0, 40);
        Set<String> relations = stream.stream().map(EditRequest::relation).collect(Collectors.toSet());
        assertSame(stream, Labels.parse("given").apply(stream));
        Labels.parse("none").apply(stream).forEach(r -> assertNull(r.relation()));
        List<EditRequest> wrong = Labels.parse("wrong:0.2").apply(stream);
        int changed = 0;
        for (int i = 0; i < stream.size(); i++) {
            EditRequest a = stream.get(i);
            EditRequest b = wrong.get(i);
            assertEquals(a.filledPrompt(), b.filledPrompt(), "prompts are the data's");
            assertEquals(a.caseId(), b.caseId());
            if (!a.relation().equals(b.relation())) {
                changed++;
                assertTrue(relations.contains(b.relation()), "a wrong label is another relation of the stream");
                assertNotEquals(a.relation(), b.relation());
            }
        }
        assertEquals(8, changed, "20 % of 40 edits");
        assertEquals(wrong, Labels.parse("wrong:0.2").apply(stream), "deterministic");
        assertThrows(IllegalArgumentException.class, () -> Labels.parse("wrong:x"));
        assertThrows(IllegalArgumentException.class, () -> Labels.parse("wrong:0"));
        assertThrows(IllegalArgumentException.class, () -> Labels.parse("some"));
    }
}
