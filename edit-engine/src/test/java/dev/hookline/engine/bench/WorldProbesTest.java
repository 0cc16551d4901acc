/*
 * The world's locality probes of the edited subject's other relations: their expected answers are the
 * world's true values, and a relation the run itself edits is no probe (its answer must change). Checked
 * against the world's own facts and the stream's edited (subject, relation) pairs.
 */
package dev.hookline.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.data.EditRequest;
import dev.hookline.engine.eval.PerEditEvaluator;
import dev.hookline.world.FactWorld;
import dev.hookline.world.Relation;
import dev.hookline.world.WorldPreset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorldProbesTest {

    @Test
    void aRelationTheRunEditsIsNoProbeOfTheSubject() {
        FactWorld world = FactWorld.generate(WorldPreset.named("tiny"));
        List<EditRequest> stream = world.editRequests();
        Set<String> edited = new HashSet<>();
        for (EditRequest r : stream) {
            edited.add(r.subject() + "\t" + r.relation());
        }
        int perKind = world.relations().size();
        WorldProbes all = new WorldProbes(world, perKind);
        WorldProbes excluding = new WorldProbes(world, perKind, stream);
        int withoutStream = 0;
        int withStream = 0;
        int editedPairsProbed = 0;
        for (EditRequest r : stream) {
            for (PerEditEvaluator.Probe p : all.apply(r)) {
                if (p.kind().equals(PerEditEvaluator.SUBJECT)) {
                    withoutStream++;
                    editedPairsProbed += edited.contains(pairOf(world, r.subject(), p.prompt())) ? 1 : 0;
                }
            }
            for (PerEditEvaluator.Probe p : excluding.apply(r)) {
                if (p.kind().equals(PerEditEvaluator.SUBJECT)) {
                    withStream++;
                    String pair = pairOf(world, r.subject(), p.prompt());
                    assertFalse(edited.contains(pair), "a probe of an edited pair: " + pair);
                    String relation = pair.substring(pair.indexOf('\t') + 1);
                    assertEquals(world.valueOf(r.subject(), relation), p.target(), "the world's true value");
                }
            }
        }
        assertTrue(editedPairsProbed > 0, "the tiny world's stream edits some subjects twice: without the stream "
                + editedPairsProbed + " of " + withoutStream + " probes name edited pairs");
        assertEquals(withoutStream - editedPairsProbed, withStream, "exactly the edited pairs are left out");
    }

    /** "subject\trelation" of the subject probe {@code prompt} (the relation whose canonical template it fills). */
    private static String pairOf(FactWorld world, String subject, String prompt) {
        for (Relation rel : world.relations()) {
            if (Relation.fill(rel.canonicalTemplate(), subject).equals(prompt)) {
                return subject + "\t" + rel.id();
            }
        }
        throw new AssertionError("no relation's template gives " + prompt);
    }
}
