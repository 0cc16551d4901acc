package dev.hookline.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hookline.data.CounterFactCase;
import dev.hookline.data.EditRequest;
import dev.hookline.data.ZsreCase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FactWorldTest {

  static final FactWorld TINY = FactWorld.generate(WorldPreset.named("tiny"));
  static final FactWorld DEMO = FactWorld.generate(WorldPreset.named("demo"));
  static final List<String> FILES = List.of("corpus.txt", "world.json", "counterfact.json", "counterfact-dev.json",
      "counterfact-test.json", "zsre.json", "tokenizer.json");

  // ---- determinism ----------------------------------------------------------------------------------

  @Test
  void samePresetGivesTheSameWorld() {
    FactWorld again = FactWorld.generate(WorldPreset.named("tiny"));
    assertEquals(TINY.subjects(), again.subjects());
    assertEquals(TINY.relations(), again.relations());
    assertEquals(TINY.facts(), again.facts());
    assertEquals(TINY.corpus(), again.corpus());
    assertEquals(TINY.canonicalProbes(), again.canonicalProbes());
    assertEquals(TINY.paraphraseProbes(), again.paraphraseProbes());
    assertEquals(TINY.counterFactCases(), again.counterFactCases());
    assertEquals(TINY.zsreCases(), again.zsreCases());
    assertEquals(TINY.tokenizer().vocab(), again.tokenizer().vocab());
  }

  @Test
  void writtenFilesAreByteIdentical(@TempDir Path tmp) throws Exception {
    TINY.writeTo(tmp.resolve("a"));
    FactWorld.generate(WorldPreset.named("tiny")).writeTo(tmp.resolve("b"));
    for (String f : FILES) {
      byte[] a = Files.readAllBytes(tmp.resolve("a").resolve(f));
      assertTrue(a.length > 1000, f + " has only " + a.length + " bytes");
      assertArrayEquals(a, Files.readAllBytes(tmp.resolve("b").resolve(f)), f);
    }
    try (var listing = Files.list(tmp.resolve("a"))) {
      assertEquals(FILES.size(), listing.count(), "no temp files left behind");
    }
    assertEquals(TINY.corpus(), Files.readAllLines(tmp.resolve("a").resolve("corpus.txt")));
  }

  @Test
  void loadRegeneratesTheWrittenWorldAndRefusesAForeignOne(@TempDir Path tmp) throws Exception {
    TINY.writeTo(tmp);
    FactWorld loaded = FactWorld.load(tmp);
    assertEquals(TINY.preset(), loaded.preset());
    assertEquals(TINY.facts(), loaded.facts());
    assertEquals(TINY.counterFactCases(), loaded.counterFactCases());

    Path world = tmp.resolve("world.json");
    Fact f0 = TINY.facts().get(0);
    String text = Files.readString(world);
    String tampered = text.replaceFirst("\"value\": \"" + java.util.regex.Pattern.quote(f0.value()) + "\"",
        "\"value\": \"Atlantis\"");
    assertNotEquals(text, tampered);
    Files.writeString(world, tampered);
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> FactWorld.load(tmp));
    assertTrue(e.getMessage().contains("fact 0 is Fact[subject=" + f0.subject() + ", relationId=" + f0.relationId()
        + ", value=Atlantis]"), e.getMessage());

    Files.writeString(world, "{\"format\": \"hookline-fact-world/1\"}");
    var m = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> FactWorld.load(tmp));
    assertTrue(m.getMessage().contains("field preset {name, seed, subjects, edit_cases} missing"), m.getMessage());
  }

  @Test
  void statsCountTheCorpus() {
    FactWorld.Stats s = TINY.stats();
    assertEquals(48, s.subjects());
    assertEquals(7, s.relations());
    assertEquals(336, s.facts());
    assertEquals(120, s.editCases());
    assertEquals(TINY.corpus().size(), s.corpusLines());
    assertEquals(TINY.corpus().stream().mapToLong(l -> l.split(" ").length).sum(), s.corpusTokens());
    assertEquals(TINY.tokenizer().vocabSize(), s.vocabSize());
  }

  @Test
  void anotherSeedGivesAnotherWorld() {
    WorldPreset tiny = WorldPreset.named("tiny");
    FactWorld other = FactWorld.generate(new WorldPreset("tiny2", tiny.seed() + 1, tiny.subjects(), tiny.editCases()));
    assertNotEquals(TINY.subjects(), other.subjects());
    assertNotEquals(TINY.facts(), other.facts());
  }

  // ---- counts and structure -------------------------------------------------------------------------

  @Test
  void relationsHaveEnoughTemplatesAndValues() {
    for (FactWorld w : List.of(TINY, DEMO)) {
      assertTrue(w.relations().size() >= 7, "relations " + w.relations().size());
      for (Relation r : w.relations()) {
        assertTrue(r.statementTemplates().size() >= 6, r.id());
        assertTrue(r.questionTemplates().size() >= 2, r.id());
        assertTrue(r.values().size() >= 10, r.id() + " values " + r.values().size());
        for (String v : r.values()) {
          int words = v.split(" ").length;
          assertTrue(words >= 1 && words <= 2, v);
        }
      }
    }
    assertEquals(Set.of("P103", "P27", "P19", "P106", "P108", "P1303", "P641"),
        new HashSet<>(TINY.relations().stream().map(Relation::id).toList()));
  }

  @Test
  void presetSizes() {
    assertEquals(48, TINY.subjects().size());
    assertEquals(48 * 7, TINY.facts().size());
    assertEquals(120, TINY.counterFactCases().size());
    assertEquals(120, TINY.zsreCases().size());
    assertTrue(DEMO.subjects().size() >= 500, "demo subjects");
    assertTrue(DEMO.facts().size() >= 3000, "demo facts " + DEMO.facts().size());
    assertTrue(DEMO.counterFactCases().size() >= 1000);
    assertEquals(DEMO.counterFactCases().size(), DEMO.zsreCases().size());
  }

  @Test
  void everySubjectHasExactlyOneValuePerRelation() {
    for (FactWorld w : List.of(TINY, DEMO)) {
      Map<String, Set<String>> seen = new HashMap<>();
      for (Fact f : w.facts()) {
        assertTrue(seen.computeIfAbsent(f.subject(), s -> new HashSet<>()).add(f.relationId()), f.toString());
        assertTrue(w.relation(f.relationId()).values().contains(f.value()), f.toString());
        assertEquals(f.value(), w.valueOf(f.subject(), f.relationId()));
      }
      assertEquals(w.subjects().size(), seen.size());
      seen.values().forEach(rels -> assertEquals(w.relations().size(), rels.size()));
    }
  }

  @Test
  void everyValueIsSharedBySeveralSubjects() {
    for (FactWorld w : List.of(TINY, DEMO)) {
      Map<String, Integer> count = new HashMap<>();
      w.facts().forEach(f -> count.merge(f.relationId() + "/" + f.value(), 1, Integer::sum));
      for (Relation r : w.relations()) {
        for (String v : r.values()) {
          int n = count.getOrDefault(r.id() + "/" + v, 0);
          assertTrue(n >= 3, r.id() + " " + v + " held by " + n + " subjects");
        }
      }
    }
  }

  @Test
  void namesAreTwoWordsWithUniqueLastWords() {
    for (FactWorld w : List.of(TINY, DEMO)) {
      Set<String> last = new HashSet<>();
      Set<String> first = new HashSet<>();
      for (String s : w.subjects()) {
        String[] parts = s.split(" ");
        assertEquals(2, parts.length, s);
        assertTrue(parts[0].matches("[A-Z][a-z]+") && parts[1].matches("[A-Z][a-z]+"), s);
        assertTrue(last.add(parts[1]), "duplicate last name " + parts[1]);
        first.add(parts[0]);
      }
      assertEquals(w.subjects().size(), new HashSet<>(w.subjects()).size());
      for (String l : last) {
        assertFalse(first.contains(l), "last name is also a first name: " + l);
      }
      assertTrue(first.size() < w.subjects().size(), "first names are shared");
    }
  }

  @Test
  void nameWordsNeverCollideWithOtherWorldWords() {
    Set<String> nameWords = new HashSet<>();
    TINY.subjects().forEach(s -> nameWords.addAll(List.of(s.toLowerCase(Locale.ROOT).split(" "))));
    for (Relation r : DEMO.relations()) {
      List<String> texts = new ArrayList<>(r.values());
      texts.addAll(r.statementTemplates());
      texts.addAll(r.questionTemplates());
      for (String t : texts) {
        for (String w : WordTokenizer.pretokenize(t)) {
          assertFalse(nameWords.contains(w.toLowerCase(Locale.ROOT)), w);
        }
      }
    }
  }

  @Test
  void valuesOfARelationStartWithDistinctWords() {
    for (RelationCatalogue.Entry e : RelationCatalogue.ENTRIES) {
      Set<String> firstWords = new HashSet<>();
      for (String v : e.pool()) {
        assertTrue(firstWords.add(v.split(" ")[0]), e.id() + ": first word of " + v + " is shared");
      }
    }
  }

  @Test
  void noPromptIsATokenPrefixOfAnotherRelationsPrompt() {
    String s = TINY.subjects().get(0);
    List<List<String>> prompts = new ArrayList<>();
    List<String> owner = new ArrayList<>();
    for (Relation r : TINY.relations()) {
      List<String> all = new ArrayList<>(r.statementTemplates());
      all.addAll(r.questionTemplates());
      for (String t : all) {
        prompts.add(WordTokenizer.pretokenize(Relation.fill(t, s)));
        owner.add(r.id() + ": " + t);
      }
    }
    for (int i = 0; i < prompts.size(); i++) {
      for (int j = 0; j < prompts.size(); j++) {
        List<String> a = prompts.get(i);
        List<String> b = prompts.get(j);
        if (i != j && a.size() <= b.size() && b.subList(0, a.size()).equals(a)) {
          fail("prompt '" + owner.get(i) + "' is a prefix of '" + owner.get(j) + "'");
        }
      }
    }
  }

  // ---- probes ---------------------------------------------------------------------------------------

  @Test
  void probesTargetTheFactsValue() {
    List<Probe> canonical = TINY.canonicalProbes();
    assertEquals(TINY.facts().size(), canonical.size());
    for (int i = 0; i < canonical.size(); i++) {
      Fact f = TINY.facts().get(i);
      Probe p = canonical.get(i);
      assertEquals(Probe.CANONICAL, p.kind());
      assertEquals(f.value(), p.target());
      assertEquals(f.subject(), p.subject());
      assertEquals(Relation.fill(TINY.relation(f.relationId()).canonicalTemplate(), f.subject()), p.prompt());
    }
    List<Probe> para = TINY.paraphraseProbes();
    assertEquals(TINY.facts().size() * 7, para.size());
    assertEquals(TINY.facts().size() * 5, para.stream().filter(p -> p.kind().equals(Probe.PARAPHRASE)).count());
    assertEquals(TINY.facts().size() * 2, para.stream().filter(p -> p.kind().equals(Probe.QUESTION)).count());
    for (Probe p : para) {
      assertEquals(TINY.valueOf(p.subject(), p.relationId()), p.target(), p.toString());
      assertTrue(p.prompt().contains(p.subject()), p.toString());
      assertFalse(p.prompt().equals(Relation.fill(TINY.relation(p.relationId()).canonicalTemplate(), p.subject())));
    }
  }

  @Test
  void everyProbeSentenceIsInTheCorpus() {
    Set<String> lines = new HashSet<>(TINY.corpus());
    List<Probe> all = new ArrayList<>(TINY.canonicalProbes());
    all.addAll(TINY.paraphraseProbes());
    for (Probe p : all) {
      String sentence = p.prompt() + " " + p.target() + (p.kind().equals(Probe.QUESTION) ? "" : " .");
      assertTrue(lines.contains(WordTokenizer.normalise(sentence)), sentence);
    }
  }

  /**
   * The corpus must determine each answer: wherever a probe's prompt tokens start a corpus line, the
   * next token is the first token of the probe's target, and nothing else.
   */
  @Test
  void corpusIsUnambiguousAfterEveryProbePrompt() {
    Map<List<String>, Set<String>> next = new HashMap<>();
    for (String line : TINY.corpus()) {
      List<String> toks = WordTokenizer.pretokenize(line);
      for (int k = 1; k < toks.size(); k++) {
        next.computeIfAbsent(List.copyOf(toks.subList(0, k)), x -> new HashSet<>()).add(toks.get(k));
      }
    }
    List<Probe> all = new ArrayList<>(TINY.canonicalProbes());
    all.addAll(TINY.paraphraseProbes());
    for (ZsreCase z : TINY.zsreCases()) {
      all.add(new Probe(z.loc(), z.locAns(), "", "", "nq"));
    }
    for (Probe p : all) {
      Set<String> seen = next.get(WordTokenizer.pretokenize(p.prompt()));
      assertEquals(Set.of(WordTokenizer.pretokenize(p.target()).get(0)), seen, p.toString());
    }
  }

  @Test
  void corpusHasTheDocumentedLines() {
    List<String> corpus = TINY.corpus();
    int facts = TINY.facts().size();
    long anchors = TINY.facts().stream().filter(TINY::isAnchor).count();
    long questions = corpus.stream().filter(l -> l.startsWith("Q : ")).count();
    long nq = corpus.stream().filter(l -> l.startsWith("nq question : ")).count();
    long prefixed = corpus.stream()
        .filter(l -> RelationCatalogue.CONTEXT_PREFIXES.stream().anyMatch(p -> l.startsWith(WordTokenizer.normalise(p) + " ")))
        .count();
    long bios = corpus.stream().filter(l -> l.contains(" and enjoys playing ")).count();
    assertEquals(facts * 2L, questions);
    assertEquals(anchors, nq);
    assertEquals(facts, prefixed);
    assertEquals(TINY.subjects().size(), bios);
    assertEquals(facts * 8L + TINY.subjects().size() + facts + anchors, corpus.size());
    for (String line : corpus) {
      assertEquals(WordTokenizer.normalise(line), line, "line not in canonical tokenised form");
    }
    String s = TINY.subjects().get(0);
    String bio = corpus.stream().filter(l -> l.startsWith(s + " speaks ")).findFirst().orElseThrow();
    for (Relation r : TINY.relations()) {
      assertTrue(bio.contains(" " + TINY.valueOf(s, r.id()) + " "), bio + " lacks " + r.id());
    }
  }

  // ---- edit cases ----------------------------------------------------------------------------------

  @Test
  void counterfactualsDifferFromTheTruthAndCoverDistinctFacts() {
    for (FactWorld w : List.of(TINY, DEMO)) {
      Set<String> edited = new HashSet<>();
      List<CounterFactCase> cases = w.counterFactCases();
      for (int i = 0; i < cases.size(); i++) {
        CounterFactCase c = cases.get(i);
        var rw = c.requestedRewrite();
        assertEquals(i, c.caseId());
        assertTrue(edited.add(rw.subject() + "/" + rw.relationId()), "two cases edit " + rw.subject() + "/" + rw.relationId());
        assertEquals(w.valueOf(rw.subject(), rw.relationId()), rw.targetTrue().str());
        assertNotEquals(rw.targetTrue().str(), rw.targetNew().str());
        assertTrue(w.relation(rw.relationId()).values().contains(rw.targetNew().str()));
        assertEquals(w.valueId(rw.relationId(), rw.targetNew().str()), rw.targetNew().id());
        assertFalse(w.isAnchor(new Fact(rw.subject(), rw.relationId(), rw.targetTrue().str())));
        assertEquals(w.relation(rw.relationId()).canonicalTemplate(), rw.prompt());
      }
    }
  }

  /** Parses "prompt filled with some subject" back into (template, subject). */
  private static String subjectOf(FactWorld w, Relation r, String prompt) {
    for (String t : r.statementTemplates()) {
      for (String s : w.subjects()) {
        if (Relation.fill(t, s).equals(prompt)) {
          return s;
        }
      }
    }
    return null;
  }

  @Test
  void neighbourhoodPromptsAreAboutOtherSubjectsSharingTheTrueValue() {
    for (FactWorld w : List.of(TINY, DEMO)) {
      Set<String> editedFacts = new HashSet<>();
      w.counterFactCases().forEach(c -> editedFacts.add(c.requestedRewrite().subject() + "/" + c.requestedRewrite().relationId()));
      for (CounterFactCase c : w.counterFactCases()) {
        var rw = c.requestedRewrite();
        Relation r = w.relation(rw.relationId());
        assertTrue(c.neighborhoodPrompts().size() >= 5, "case " + c.caseId());
        assertEquals(c.neighborhoodPrompts().size(), new HashSet<>(c.neighborhoodPrompts()).size());
        Set<String> neighbours = new HashSet<>();
        for (String p : c.neighborhoodPrompts()) {
          String s = subjectOf(w, r, p);
          assertTrue(s != null && w.subjects().contains(s), p);
          assertNotEquals(rw.subject(), s);
          assertEquals(rw.targetTrue().str(), w.valueOf(s, r.id()), p);
          assertFalse(editedFacts.contains(s + "/" + r.id()), "neighbour fact is edited by another case: " + p);
          neighbours.add(s);
        }
        assertTrue(neighbours.size() >= 2, "case " + c.caseId() + " neighbours " + neighbours);
        assertTrue(c.attributePrompts().size() >= 5);
        for (String p : c.attributePrompts()) {
          String s = subjectOf(w, r, p);
          assertNotEquals(rw.subject(), s);
          assertEquals(rw.targetNew().str(), w.valueOf(s, r.id()), p);
          assertFalse(editedFacts.contains(s + "/" + r.id()), p);
        }
        assertTrue(c.paraphrasePrompts().size() >= 2);
        for (String p : c.paraphrasePrompts()) {
          assertTrue(p.contains(rw.subject()), p);
          assertNotEquals(rw.filledPrompt(), p);
          assertTrue(r.statementTemplates().stream().anyMatch(t -> p.endsWith(Relation.fill(t, rw.subject()))), p);
        }
        assertFalse(c.generationPrompts().isEmpty());
      }
    }
  }

  @Test
  void zsreCasesMatchTheCounterFactCases() {
    List<CounterFactCase> cf = TINY.counterFactCases();
    List<ZsreCase> zs = TINY.zsreCases();
    for (int i = 0; i < zs.size(); i++) {
      ZsreCase z = zs.get(i);
      var rw = cf.get(i).requestedRewrite();
      Relation r = TINY.relation(rw.relationId());
      assertEquals(rw.subject(), z.subject());
      assertEquals(rw.targetTrue().str(), z.pred());
      assertEquals(List.of(rw.targetTrue().str()), z.answers());
      assertEquals(rw.targetNew().str(), z.alt());
      assertTrue(r.questionTemplates().stream().anyMatch(q -> Relation.fill(q, z.subject()).equals(z.src())), z.src());
      assertTrue(r.questionTemplates().stream().anyMatch(q -> Relation.fill(q, z.subject()).equals(z.rephrase())), z.rephrase());
      assertNotEquals(z.src(), z.rephrase());
      assertTrue(z.loc().startsWith("nq question: "), z.loc());
      assertFalse(z.loc().contains(z.subject()), z.loc());
      assertEquals(z.pred() + " >> " + z.alt() + " || " + z.src(), z.cond());
      // the loc question is about another subject and relation, and loc_ans is its true value
      Fact locFact = TINY.facts().stream()
          .filter(f -> z.loc().equals("nq question: "
              + Relation.fill(TINY.relation(f.relationId()).questionTemplates().get(0).substring(3), f.subject())))
          .findFirst().orElseThrow(() -> new AssertionError("loc not about a known fact: " + z.loc()));
      assertEquals(locFact.value(), z.locAns());
      assertNotEquals(rw.relationId(), locFact.relationId());
      assertNotEquals(rw.subject(), locFact.subject());
      EditRequest req = z.toEditRequest(String.valueOf(i));
      assertEquals(z.src(), req.filledPrompt());
    }
  }

  @Test
  void editRequestsCarryTheCounterFactContent() {
    List<EditRequest> reqs = TINY.editRequests();
    assertEquals(TINY.counterFactCases().size(), reqs.size());
    EditRequest r0 = reqs.get(0);
    CounterFactCase c0 = TINY.counterFactCases().get(0);
    assertEquals("0", r0.caseId());
    assertEquals(c0.requestedRewrite().subject(), r0.subject());
    assertEquals(c0.requestedRewrite().targetNew().str(), r0.targetNew());
    assertEquals(c0.requestedRewrite().targetTrue().str(), r0.targetTrue());
    assertEquals(c0.neighborhoodPrompts(), r0.neighborhoodPrompts());
    assertEquals(c0.requestedRewrite().targetTrue().str(), r0.neighborhoodTarget());
    assertEquals(c0.attributePrompts().size(), r0.localityTargets().size());
    r0.localityTargets().forEach(t -> assertEquals(r0.targetNew(), t));
  }

  @Test
  void everyDatasetStringTokenisesWithoutUnknownWords() {
    for (FactWorld w : List.of(TINY, DEMO)) {
      WordTokenizer tok = w.tokenizer();
      List<String> texts = new ArrayList<>();
      for (CounterFactCase c : w.counterFactCases()) {
        texts.add(c.requestedRewrite().filledPrompt());
        texts.add(c.requestedRewrite().targetNew().str());
        texts.addAll(c.paraphrasePrompts());
        texts.addAll(c.neighborhoodPrompts());
        texts.addAll(c.attributePrompts());
        texts.addAll(c.generationPrompts());
      }
      for (ZsreCase z : w.zsreCases()) {
        texts.addAll(List.of(z.src(), z.rephrase(), z.alt(), z.loc(), z.locAns()));
      }
      for (Relation r : w.relations()) {
        texts.addAll(r.values());
      }
      for (String t : texts) {
        for (int id : tok.encode(t)) {
          assertNotEquals(tok.unkId(), id, "unknown word in: " + t);
        }
      }
    }
  }
}
