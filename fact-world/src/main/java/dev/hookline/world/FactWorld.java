/*
 * Hookline fact world: a deterministic world of invented people with real-valued attributes, the
 * pretraining corpus that teaches a small GPT-2 these facts, and edit datasets over them in the
 * CounterFact (ROME) and zsRE (MEND/MEMIT) layouts. Follows DESIGN.md §4 and the prototype of §7.
 */
package dev.hookline.world;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.CounterFactCase;
import dev.hookline.data.CounterFactDataset;
import dev.hookline.data.EditRequest;
import dev.hookline.data.JsonFiles;
import dev.hookline.data.ZsreCase;
import dev.hookline.data.ZsreDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A generated fact world.
 *
 * <h2>What is generated</h2>
 * <ul>
 *   <li><b>Relations</b>: the seven of {@link RelationCatalogue} (P103 mother tongue, P27 citizenship,
 *       P19 place of birth, P106 occupation, P108 employer, P1303 instrument, P641 sport). Each uses
 *       {@code min(pool, max(10, subjects / 5))} values of its pool, chosen with the seed, so every
 *       value is shared by several subjects.</li>
 *   <li><b>Subjects</b>: invented two-word names with a unique last word (see {@link SubjectNames}).</li>
 *   <li><b>Facts</b>: one value per subject and relation, drawn as a seeded shuffle of a balanced list
 *       (each value held by {@code subjects / values} subjects, +-1). Facts are listed subject-major.</li>
 *   <li><b>Anchor facts</b>: in every (relation, value) group, {@code min(10, ceil(size / 2))} subjects
 *       are anchors. No edit case rewrites an anchor fact; neighbourhood, attribute and zsRE locality
 *       prompts are built only from anchors, so they stay valid however many cases of a consecutive
 *       stream have been applied.</li>
 *   <li><b>Edit cases</b>: {@code preset.editCases()} distinct non-anchor facts in seeded order, each
 *       with a counterfactual new value drawn from the relation's other values; written both as
 *       CounterFact and as zsRE records (case i of both files edits the same fact to the same value).</li>
 * </ul>
 *
 * <h2>Corpus lines (what the model learns)</h2>
 * Every line is in canonical tokenised form (words and punctuation separated by single spaces,
 * {@link WordTokenizer#normalise}), so the tokenizer round-trips it exactly. Per the measurements in
 * DESIGN.md §7 the corpus holds:
 * <ol>
 *   <li><b>statement lines</b>: every fact with every statement template, {@code "<prompt> <value> ."}:
 *       teaches canonical and paraphrase recall;</li>
 *   <li><b>question lines</b>: every fact with every question template, {@code "Q : ... ? A : <value>"}:
 *       teaches the zsRE-style question form;</li>
 *   <li><b>biography lines</b>: one per subject joining all its facts ({@code "X speaks French , is a
 *       citizen of France , ... and enjoys playing golf ."}): ties the facts to one entity;</li>
 *   <li><b>context-prefixed lines</b>: one per fact, a neutral sentence from
 *       {@link RelationCatalogue#CONTEXT_PREFIXES} then a statement with a seeded template: the fact must
 *       be recalled after unrelated text (the editor's value step and CounterFact paraphrases use such
 *       prefixes);</li>
 *   <li><b>nq-question lines</b>: one per anchor fact, {@code "nq question : What is ... ? A : <value>"}:
 *       the zsRE locality prompts have this form, so the model knows their answers before any edit.</li>
 * </ol>
 * The lines are emitted in one seeded shuffled order, so any contiguous packing mixes subjects.
 *
 * <p>Same preset, same output: every draw comes from a {@link SplittableRandom} seeded from the preset
 * seed and a fixed purpose string, and written files are byte-identical.
 */
public final class FactWorld {

  private static final int MAX_NEIGHBOURS = 10;

  private final WorldPreset preset;
  private final List<Relation> relations;
  private final List<String> subjects;
  private final List<Fact> facts;
  private final Set<Fact> anchorFacts;
  private final Map<String, List<String>> anchorsByGroup;
  private final List<String> corpus;
  private final List<Probe> canonicalProbes;
  private final List<Probe> paraphraseProbes;
  private final List<Fact> editedFacts;
  private final List<CounterFactCase> counterFactCases;
  private final Set<String> devSubjects;
  private final List<ZsreCase> zsreCases;
  private final WordTokenizer tokenizer;

  private FactWorld(WorldPreset preset) {
    this.preset = preset;
    this.relations = chooseRelations();
    this.subjects = SubjectNames.generate(preset.subjects(), rng("names"), worldWords());
    this.facts = assignFacts();
    this.anchorsByGroup = new LinkedHashMap<>();
    this.anchorFacts = chooseAnchors();
    this.editedFacts = chooseEditedFacts();
    this.devSubjects = chooseDevSubjects();
    this.counterFactCases = new ArrayList<>();
    this.zsreCases = new ArrayList<>();
    buildEditCases();
    this.canonicalProbes = new ArrayList<>();
    this.paraphraseProbes = new ArrayList<>();
    buildProbes();
    this.corpus = buildCorpus();
    this.tokenizer = WordTokenizer.build(corpus);
  }

  /** Generates the world of a preset; deterministic in the preset. */
  public static FactWorld generate(WorldPreset preset) {
    return new FactWorld(preset);
  }

  /**
   * Re-creates the world a directory was written from: reads the preset from its {@code world.json},
   * regenerates, and checks that the regenerated subjects and facts equal the file's (so a world
   * written by a different generator version is refused instead of silently replaced).
   *
   * @throws IOException if world.json cannot be read
   * @throws IllegalStateException naming the first difference if the file does not match the generator
   * @throws IllegalArgumentException if world.json lacks the preset fields
   */
  public static FactWorld load(Path dir) throws IOException {
    Path file = dir.resolve("world.json");
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    JsonNode p = root == null ? null : root.get("preset");
    if (p == null || !p.path("name").isTextual() || !p.path("seed").canConvertToLong()
        || !p.path("subjects").canConvertToInt() || !p.path("edit_cases").canConvertToInt()) {
      throw new IllegalArgumentException(file + ": field preset {name, seed, subjects, edit_cases} missing or mistyped");
    }
    WorldPreset preset = new WorldPreset(p.get("name").textValue(), p.get("seed").longValue(),
        p.get("subjects").intValue(), p.get("edit_cases").intValue());
    FactWorld world = generate(preset);
    JsonNode subjects = root.path("subjects");
    JsonNode facts = root.path("facts");
    if (subjects.size() != world.subjects.size() || facts.size() != world.facts.size()) {
      throw new IllegalStateException(file + ": has " + subjects.size() + " subjects and " + facts.size()
          + " facts, the generator makes " + world.subjects.size() + " and " + world.facts.size()
          + " for preset " + preset.name() + " (written by another generator version?)");
    }
    for (int i = 0; i < facts.size(); i++) {
      JsonNode f = facts.get(i);
      Fact written = new Fact(f.path("subject").asText(), f.path("relation_id").asText(), f.path("value").asText());
      if (!written.equals(world.facts.get(i))) {
        throw new IllegalStateException(file + ": fact " + i + " is " + written + " but the generator makes "
            + world.facts.get(i) + " for preset " + preset.name() + " (written by another generator version?)");
      }
    }
    return world;
  }

  // ---- generation steps ---------------------------------------------------------------------------

  /** A random stream for one purpose: independent of how many draws other purposes make. */
  private SplittableRandom rng(String purpose) {
    return new SplittableRandom(preset.seed() * 0x9E3779B97F4A7C15L + purpose.hashCode());
  }

  private static <T> void shuffle(List<T> list, SplittableRandom rng) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      T t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }

  private List<Relation> chooseRelations() {
    List<Relation> out = new ArrayList<>();
    for (RelationCatalogue.Entry e : RelationCatalogue.ENTRIES) {
      int n = Math.min(e.pool().size(), Math.max(10, preset.subjects() / 5));
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < e.pool().size(); i++) {
        idx.add(i);
      }
      shuffle(idx, rng("values:" + e.id()));
      List<Integer> chosen = new ArrayList<>(idx.subList(0, n));
      chosen.sort(null);
      out.add(new Relation(e.id(), e.name(), chosen.stream().map(e.pool()::get).toList(),
          e.statementTemplates(), e.questionTemplates()));
    }
    return List.copyOf(out);
  }

  /** Lower-case words used anywhere else in the world: names must not collide with them. */
  private static Set<String> worldWords() {
    Set<String> words = new HashSet<>();
    List<String> texts = new ArrayList<>(RelationCatalogue.CONTEXT_PREFIXES);
    texts.add(RelationCatalogue.NQ_PREFIX);
    for (RelationCatalogue.Entry e : RelationCatalogue.ENTRIES) {
      texts.addAll(e.pool());
      texts.addAll(e.statementTemplates());
      texts.addAll(e.questionTemplates());
      texts.add(e.biographyClause());
      texts.add(e.name());
    }
    for (String t : texts) {
      for (String w : WordTokenizer.pretokenize(t)) {
        words.add(w.toLowerCase(Locale.ROOT));
      }
    }
    return words;
  }

  private List<Fact> assignFacts() {
    int s = subjects.size();
    List<List<String>> perRelation = new ArrayList<>();
    for (Relation r : relations) {
      List<String> assign = new ArrayList<>(s);
      for (int j = 0; j < s; j++) {
        assign.add(r.values().get(j % r.values().size()));
      }
      shuffle(assign, rng("facts:" + r.id()));
      perRelation.add(assign);
    }
    List<Fact> out = new ArrayList<>(s * relations.size());
    for (int j = 0; j < s; j++) {
      for (int ri = 0; ri < relations.size(); ri++) {
        out.add(new Fact(subjects.get(j), relations.get(ri).id(), perRelation.get(ri).get(j)));
      }
    }
    return List.copyOf(out);
  }

  private static String groupKey(String relationId, String value) {
    return relationId + "\u0000" + value;
  }

  private Set<Fact> chooseAnchors() {
    Map<String, List<Fact>> groups = new LinkedHashMap<>();
    for (Fact f : facts) {
      groups.computeIfAbsent(groupKey(f.relationId(), f.value()), k -> new ArrayList<>()).add(f);
    }
    Set<Fact> anchors = new HashSet<>();
    for (Relation r : relations) {
      for (String v : r.values()) {
        List<Fact> group = new ArrayList<>(groups.get(groupKey(r.id(), v)));
        shuffle(group, rng("anchors:" + r.id() + ":" + v));
        int a = Math.min(MAX_NEIGHBOURS, Math.max(1, (group.size() + 1) / 2));
        List<Fact> chosen = group.subList(0, a);
        anchors.addAll(chosen);
        anchorsByGroup.put(groupKey(r.id(), v), chosen.stream().map(Fact::subject).toList());
      }
    }
    return anchors;
  }

  private List<Fact> chooseEditedFacts() {
    List<Fact> editable = new ArrayList<>();
    for (Fact f : facts) {
      if (!anchorFacts.contains(f)) {
        editable.add(f);
      }
    }
    if (editable.size() < preset.editCases()) {
      throw new IllegalStateException("preset " + preset.name() + ": " + preset.editCases()
          + " edit cases requested but only " + editable.size() + " non-anchor facts exist");
    }
    shuffle(editable, rng("edits"));
    return List.copyOf(editable.subList(0, preset.editCases()));
  }

  /** Statement prompts about the anchors of (relation, value), other than {@code exclude}. */
  private List<String> anchorPrompts(Relation r, String value, String exclude) {
    List<String> others = new ArrayList<>(anchorsByGroup.get(groupKey(r.id(), value)));
    others.remove(exclude);
    List<String> t = r.statementTemplates();
    int count = Math.min(MAX_NEIGHBOURS, t.size() * others.size());
    List<String> out = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      int a = k % others.size();
      // (a, round) pairs are distinct for k < |templates| * |others|; the template rotates with a
      out.add(Relation.fill(t.get((a + k / others.size()) % t.size()), others.get(a)));
    }
    return out;
  }

  private void buildEditCases() {
    SplittableRandom draw = rng("cases");
    List<Fact> anchorList = facts.stream().filter(anchorFacts::contains).toList();
    List<String> prefixes = RelationCatalogue.CONTEXT_PREFIXES;
    for (int i = 0; i < editedFacts.size(); i++) {
      Fact f = editedFacts.get(i);
      Relation r = relation(f.relationId());
      List<String> others = new ArrayList<>(r.values());
      others.remove(f.value());
      String newValue = others.get(draw.nextInt(others.size()));
      String s = f.subject();
      List<String> st = r.statementTemplates();

      int pa = draw.nextInt(prefixes.size());
      int pb = (pa + 1 + draw.nextInt(prefixes.size() - 1)) % prefixes.size();
      List<String> paraphrases = new ArrayList<>();
      for (int k = 1; k < st.size(); k++) {
        String p = Relation.fill(st.get(k), s);
        paraphrases.add(k == 1 ? prefixes.get(pa) + " " + p : k == 2 ? prefixes.get(pb) + " " + p : p);
      }
      List<String> generation = new ArrayList<>();
      st.forEach(t -> generation.add(Relation.fill(t, s)));
      r.questionTemplates().forEach(t -> generation.add(Relation.fill(t, s)));

      counterFactCases.add(new CounterFactCase(
          i,
          new CounterFactCase.RequestedRewrite(r.canonicalTemplate(), r.id(), s,
              new CounterFactCase.Target(newValue, valueId(r.id(), newValue)),
              new CounterFactCase.Target(f.value(), valueId(r.id(), f.value()))),
          paraphrases,
          anchorPrompts(r, f.value(), s),
          anchorPrompts(r, newValue, s),
          generation));

      List<String> q = r.questionTemplates();
      int qi = draw.nextInt(q.size());
      String src = Relation.fill(q.get(qi), s);
      String rephrase = Relation.fill(q.get((qi + 1 + draw.nextInt(q.size() - 1)) % q.size()), s);
      Fact loc;
      do {
        loc = anchorList.get(draw.nextInt(anchorList.size()));
      } while (loc.subject().equals(s) || loc.relationId().equals(r.id()));
      zsreCases.add(new ZsreCase(s, src, f.value(), rephrase, newValue, List.of(f.value()),
          nqQuestion(loc), loc.value(), f.value() + " >> " + newValue + " || " + src));
    }
  }

  /** The zsRE locality question of a fact: {@code "nq question: What is ... of X? A:"}. */
  private String nqQuestion(Fact f) {
    String q = relation(f.relationId()).questionTemplates().get(0);
    return RelationCatalogue.NQ_PREFIX + Relation.fill(q.substring("Q: ".length()), f.subject());
  }

  private void buildProbes() {
    for (Fact f : facts) {
      Relation r = relation(f.relationId());
      List<String> st = r.statementTemplates();
      canonicalProbes.add(new Probe(Relation.fill(st.get(0), f.subject()), f.value(), f.subject(), r.id(),
          Probe.CANONICAL));
      for (int k = 1; k < st.size(); k++) {
        paraphraseProbes.add(new Probe(Relation.fill(st.get(k), f.subject()), f.value(), f.subject(), r.id(),
            Probe.PARAPHRASE));
      }
      for (String q : r.questionTemplates()) {
        paraphraseProbes.add(new Probe(Relation.fill(q, f.subject()), f.value(), f.subject(), r.id(),
            Probe.QUESTION));
      }
    }
  }

  private List<String> buildCorpus() {
    List<String> lines = new ArrayList<>();
    for (Fact f : facts) {
      Relation r = relation(f.relationId());
      for (String t : r.statementTemplates()) {
        lines.add(statement(t, f));
      }
      for (String q : r.questionTemplates()) {
        lines.add(WordTokenizer.normalise(Relation.fill(q, f.subject()) + " " + f.value()));
      }
    }
    for (int j = 0; j < subjects.size(); j++) {
      lines.add(biography(j));
    }
    SplittableRandom ctx = rng("context");
    List<String> prefixes = RelationCatalogue.CONTEXT_PREFIXES;
    for (Fact f : facts) {
      List<String> st = relation(f.relationId()).statementTemplates();
      String prefix = prefixes.get(ctx.nextInt(prefixes.size()));
      lines.add(WordTokenizer.normalise(prefix) + " " + statement(st.get(ctx.nextInt(st.size())), f));
    }
    for (Fact f : facts) {
      if (anchorFacts.contains(f)) {
        lines.add(WordTokenizer.normalise(nqQuestion(f) + " " + f.value()));
      }
    }
    shuffle(lines, rng("corpus"));
    return List.copyOf(lines);
  }

  private static String statement(String template, Fact f) {
    return WordTokenizer.normalise(Relation.fill(template, f.subject()) + " " + f.value() + " .");
  }

  private String biography(int subjectIndex) {
    List<String> clauses = new ArrayList<>();
    for (int ri = 0; ri < relations.size(); ri++) {
      Fact f = facts.get(subjectIndex * relations.size() + ri);
      clauses.add(RelationCatalogue.entry(f.relationId()).biographyClause().replace("{}", f.value()));
    }
    String last = clauses.remove(clauses.size() - 1);
    return WordTokenizer.normalise(subjects.get(subjectIndex) + " " + String.join(", ", clauses) + " and " + last + " .");
  }

  // ---- accessors ----------------------------------------------------------------------------------

  /** The preset this world was generated from. */
  public WorldPreset preset() {
    return preset;
  }

  /** The relations in world order. */
  public List<Relation> relations() {
    return relations;
  }

  /** The relation with the given id. */
  public Relation relation(String relationId) {
    for (Relation r : relations) {
      if (r.id().equals(relationId)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown relation id " + relationId);
  }

  /** The subjects' full names in generation order. */
  public List<String> subjects() {
    return subjects;
  }

  /** All true facts, subject-major (subject 0's facts in relation order, then subject 1's, ...). */
  public List<Fact> facts() {
    return facts;
  }

  /** The true value of (subject, relation). */
  public String valueOf(String subject, String relationId) {
    int j = subjects.indexOf(subject);
    if (j < 0) {
      throw new IllegalArgumentException("unknown subject " + subject);
    }
    for (int ri = 0; ri < relations.size(); ri++) {
      if (relations.get(ri).id().equals(relationId)) {
        return facts.get(j * relations.size() + ri).value();
      }
    }
    throw new IllegalArgumentException("unknown relation id " + relationId);
  }

  /** Whether a fact is an anchor (never rewritten by an edit case; used by locality prompts). */
  public boolean isAnchor(Fact fact) {
    return anchorFacts.contains(fact);
  }

  /**
   * A stable entity id for a value, in the style of CounterFact's Wikidata ids:
   * {@code "Q" + (1000 * (relation index + 1) + pool index + 1)}, e.g. P103 French = Q1001.
   */
  public String valueId(String relationId, String value) {
    List<RelationCatalogue.Entry> entries = RelationCatalogue.ENTRIES;
    for (int ri = 0; ri < entries.size(); ri++) {
      if (entries.get(ri).id().equals(relationId)) {
        int p = entries.get(ri).pool().indexOf(value);
        if (p < 0) {
          throw new IllegalArgumentException("value " + value + " is not in the pool of " + relationId);
        }
        return "Q" + (1000 * (ri + 1) + p + 1);
      }
    }
    throw new IllegalArgumentException("unknown relation id " + relationId);
  }

  /** Pretraining lines, one per entry, in canonical tokenised form and a deterministic order. */
  public List<String> corpus() {
    return corpus;
  }

  /** One probe per fact (same order as {@link #facts()}): the canonical statement template. */
  public List<Probe> canonicalProbes() {
    return List.copyOf(canonicalProbes);
  }

  /** Per fact, in fact order: the other statement templates ({@code paraphrase}) then the question templates ({@code question}). */
  public List<Probe> paraphraseProbes() {
    return List.copyOf(paraphraseProbes);
  }

  /** The facts the edit cases rewrite, in case order. */
  public List<Fact> editedFacts() {
    return editedFacts;
  }

  /** The CounterFact edit cases (what {@code counterfact.json} holds). */
  public List<CounterFactCase> counterFactCases() {
    return List.copyOf(counterFactCases);
  }

  /** The zsRE edit cases (what {@code zsre.json} holds); case i edits the same fact as CounterFact case i. */
  public List<ZsreCase> zsreCases() {
    return List.copyOf(zsreCases);
  }

  /** The CounterFact cases as engine-neutral requests. */
  public List<EditRequest> editRequests() {
    return CounterFactDataset.toEditRequests(counterFactCases);
  }

  /** Split name: the stream every default is tuned on. */
  public static final String DEV = "dev";
  /** Split name: the stream figures are reported on. */
  public static final String TEST = "test";
  /** The split names, in file order. */
  public static final List<String> SPLITS = List.of(DEV, TEST);

  /**
   * Half of the subjects, drawn with the seed (purpose "split"): edit cases of these subjects form
   * the dev stream, the others the test stream, so the two streams share no subject (and no fact).
   */
  private Set<String> chooseDevSubjects() {
    List<String> order = new ArrayList<>(subjects);
    shuffle(order, rng("split"));
    return Set.copyOf(order.subList(0, order.size() / 2));
  }

  /** The split ({@link #DEV} or {@link #TEST}) of {@code subject}'s edit cases. */
  public String splitOf(String subject) {
    return devSubjects.contains(subject) ? DEV : TEST;
  }

  /** The CounterFact cases of one split, in the world's case order (case ids are the world's). */
  public List<CounterFactCase> counterFactCases(String split) {
    if (!SPLITS.contains(split)) {
      throw new IllegalArgumentException("unknown split '" + split + "'; valid: " + String.join(", ", SPLITS));
    }
    return counterFactCases.stream().filter(c -> splitOf(c.requestedRewrite().subject()).equals(split)).toList();
  }

  /** The edit stream of one split as engine-neutral requests (disjoint subjects across splits). */
  public List<EditRequest> editRequests(String split) {
    return CounterFactDataset.toEditRequests(counterFactCases(split));
  }

  /**
   * Sizes of a world, for logs and reports.
   *
   * @param corpusTokens word tokens in one pass over the corpus (no separators)
   */
  public record Stats(String preset, int subjects, int relations, int facts, int editCases, int corpusLines,
      long corpusTokens, int vocabSize) {}

  /** The world's sizes. */
  public Stats stats() {
    return new Stats(preset.name(), subjects.size(), relations.size(), facts.size(), counterFactCases.size(),
        corpus.size(), WordTokenizer.countTokens(corpus), tokenizer.vocabSize());
  }

  /** The word-level tokenizer built from {@link #corpus()}. */
  public WordTokenizer tokenizer() {
    return tokenizer;
  }

  // ---- output -------------------------------------------------------------------------------------

  /**
   * Writes {@code corpus.txt}, {@code world.json}, {@code counterfact.json} (every case),
   * {@code counterfact-dev.json} and {@code counterfact-test.json} (the two disjoint streams),
   * {@code zsre.json} and {@code tokenizer.json} into {@code dir} (created if needed). Each file is written to a temp file and
   * moved into place.
   */
  public void writeTo(Path dir) throws IOException {
    Files.createDirectories(dir);
    JsonFiles.writeLines(dir.resolve("corpus.txt"), corpus);
    JsonFiles.write(dir.resolve("world.json"), worldJson());
    CounterFactDataset.write(dir.resolve("counterfact.json"), counterFactCases);
    for (String split : SPLITS) {
      CounterFactDataset.write(dir.resolve("counterfact-" + split + ".json"), counterFactCases(split));
    }
    ZsreDataset.write(dir.resolve("zsre.json"), zsreCases);
    tokenizer.write(dir.resolve("tokenizer.json"));
  }

  private ObjectNode worldJson() {
    ObjectNode root = JsonFiles.object();
    root.put("format", "hookline-fact-world/1");
    ObjectNode p = root.putObject("preset");
    p.put("name", preset.name());
    p.put("seed", preset.seed());
    p.put("subjects", preset.subjects());
    p.put("edit_cases", preset.editCases());
    ArrayNode rels = root.putArray("relations");
    for (Relation r : relations) {
      ObjectNode rn = rels.addObject();
      rn.put("id", r.id());
      rn.put("name", r.name());
      rn.set("values", JsonFiles.strings(r.values()));
      rn.set("value_ids", JsonFiles.strings(r.values().stream().map(v -> valueId(r.id(), v)).toList()));
      rn.set("statement_templates", JsonFiles.strings(r.statementTemplates()));
      rn.set("question_templates", JsonFiles.strings(r.questionTemplates()));
      rn.put("biography_clause", RelationCatalogue.entry(r.id()).biographyClause());
    }
    root.set("context_prefixes", JsonFiles.strings(RelationCatalogue.CONTEXT_PREFIXES));
    root.set("subjects", JsonFiles.strings(subjects));
    ArrayNode fs = root.putArray("facts");
    for (Fact f : facts) {
      ObjectNode fn = fs.addObject();
      fn.put("subject", f.subject());
      fn.put("relation_id", f.relationId());
      fn.put("value", f.value());
      fn.put("anchor", anchorFacts.contains(f));
    }
    root.put("corpus_lines", corpus.size());
    root.put("vocab_size", tokenizer.vocabSize());
    return root;
  }
}
