package dev.hookline.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.data.CounterFactCase;
import dev.hookline.data.ZsreCase;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The world's guarantees hold for other seeds and sizes than the two presets, down to the minimum size. */
class WorldInvariantsTest {

  @ParameterizedTest(name = "seed {0}, {1} subjects, {2} cases")
  @CsvSource({"1, 20, 5", "2, 33, 30", "3, 48, 100", "4, 101, 200", "5, 250, 600"})
  void invariantsHold(long seed, int subjects, int cases) {
    FactWorld w = FactWorld.generate(new WorldPreset("w" + seed, seed, subjects, cases));
    assertEquals(subjects * 7, w.facts().size());
    assertEquals(cases, w.counterFactCases().size());

    Map<String, Integer> holders = new HashMap<>();
    w.facts().forEach(f -> holders.merge(f.relationId() + "/" + f.value(), 1, Integer::sum));
    for (Relation r : w.relations()) {
      assertTrue(r.values().size() >= 10, r.id());
      r.values().forEach(v -> assertTrue(holders.getOrDefault(r.id() + "/" + v, 0) >= 2, r.id() + "/" + v));
    }

    Set<String> lastNames = new HashSet<>();
    w.subjects().forEach(s -> assertTrue(lastNames.add(s.split(" ")[1]), s));

    Set<String> edited = new HashSet<>();
    for (CounterFactCase c : w.counterFactCases()) {
      var rw = c.requestedRewrite();
      assertTrue(edited.add(rw.subject() + "/" + rw.relationId()));
      assertNotEquals(rw.targetTrue().str(), rw.targetNew().str());
      assertTrue(c.neighborhoodPrompts().size() >= 5, "case " + c.caseId());
      assertTrue(c.attributePrompts().size() >= 5, "case " + c.caseId());
      for (String p : c.neighborhoodPrompts()) {
        assertFalse(p.contains(rw.subject()), p);
      }
    }
    for (CounterFactCase c : w.counterFactCases()) {
      String relation = c.requestedRewrite().relationId();
      for (String p : c.neighborhoodPrompts()) {
        List<String> words = WordTokenizer.pretokenize(p);
        List<String> about = w.subjects().stream()
            .filter(s -> java.util.Collections.indexOfSubList(words, List.of(s.split(" "))) >= 0).toList();
        assertEquals(1, about.size(), p);
        // the neighbour's own fact for this relation is never rewritten by any case
        assertFalse(edited.contains(about.get(0) + "/" + relation), "neighbour of case " + c.caseId() + " is edited: " + p);
      }
    }

    WordTokenizer tok = w.tokenizer();
    List<String> texts = new ArrayList<>();
    w.counterFactCases().forEach(c -> {
      texts.add(c.requestedRewrite().targetNew().str());
      texts.addAll(c.paraphrasePrompts());
      texts.addAll(c.attributePrompts());
    });
    for (ZsreCase z : w.zsreCases()) {
      texts.add(z.loc());
      texts.add(z.alt());
    }
    for (String t : texts) {
      for (int id : tok.encode(t)) {
        assertNotEquals(tok.unkId(), id, t);
      }
    }
  }
}
