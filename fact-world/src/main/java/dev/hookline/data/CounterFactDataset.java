/*
 * Hookline fact world: loader and writer for CounterFact files (layout of ROME's counterfact.json).
 */
package dev.hookline.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads and writes CounterFact datasets.
 *
 * <p>Required per record: {@code case_id} (integer, unique in the file),
 * {@code requested_rewrite.prompt} (string containing {@code {}}), {@code requested_rewrite.relation_id},
 * {@code requested_rewrite.subject}, {@code requested_rewrite.target_new.str},
 * {@code requested_rewrite.target_true.str}, {@code paraphrase_prompts} and
 * {@code neighborhood_prompts} (arrays of strings). Optional: the {@code id} of each target,
 * {@code attribute_prompts}, {@code generation_prompts}. Any other field (e.g. {@code pararel_idx})
 * is ignored, so the published file loads unchanged.
 */
public final class CounterFactDataset {

  private CounterFactDataset() {}

  /**
   * Loads every case of a CounterFact file.
   *
   * @throws DatasetFormatException naming the file, record index, case id and field when the file is
   *     not a JSON array of well-formed records
   */
  public static List<CounterFactCase> load(Path file) {
    ArrayNode root = JsonFiles.readArray(file);
    List<CounterFactCase> cases = new ArrayList<>(root.size());
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < root.size(); i++) {
      CounterFactCase c = parse(file.toString(), i, root.get(i));
      if (!seen.add(c.caseId())) {
        throw new DatasetFormatException(file.toString(), i, c.caseId(), "case_id", "duplicate case_id");
      }
      cases.add(c);
    }
    return cases;
  }

  private static CounterFactCase parse(String file, int index, JsonNode node) {
    JsonFiles.RecordReader r = new JsonFiles.RecordReader(file, index, node);
    r.caseId(r.peekInt("case_id"));
    int caseId = r.requiredInt("case_id");
    String prompt = r.requiredString("requested_rewrite.prompt");
    if (!prompt.contains("{}")) {
      throw r.error("requested_rewrite.prompt", "must contain {} where the subject goes, found \"" + prompt + "\"");
    }
    var rewrite = new CounterFactCase.RequestedRewrite(
        prompt,
        r.requiredString("requested_rewrite.relation_id"),
        r.requiredString("requested_rewrite.subject"),
        new CounterFactCase.Target(
            r.requiredString("requested_rewrite.target_new.str"),
            r.optionalString("requested_rewrite.target_new.id")),
        new CounterFactCase.Target(
            r.requiredString("requested_rewrite.target_true.str"),
            r.optionalString("requested_rewrite.target_true.id")));
    List<String> attribute = r.optionalStrings("attribute_prompts");
    List<String> generation = r.optionalStrings("generation_prompts");
    return new CounterFactCase(
        caseId,
        rewrite,
        r.requiredStrings("paraphrase_prompts"),
        r.requiredStrings("neighborhood_prompts"),
        attribute == null ? List.of() : attribute,
        generation == null ? List.of() : generation);
  }

  /** Writes cases in the published layout (field order as in counterfact.json). */
  public static void write(Path file, List<CounterFactCase> cases) throws IOException {
    ArrayNode root = JsonFiles.array();
    for (CounterFactCase c : cases) {
      ObjectNode rec = root.addObject();
      rec.put("case_id", c.caseId());
      ObjectNode rw = rec.putObject("requested_rewrite");
      rw.put("prompt", c.requestedRewrite().prompt());
      rw.put("relation_id", c.requestedRewrite().relationId());
      target(rw.putObject("target_new"), c.requestedRewrite().targetNew());
      target(rw.putObject("target_true"), c.requestedRewrite().targetTrue());
      rw.put("subject", c.requestedRewrite().subject());
      rec.set("paraphrase_prompts", JsonFiles.strings(c.paraphrasePrompts()));
      rec.set("neighborhood_prompts", JsonFiles.strings(c.neighborhoodPrompts()));
      rec.set("attribute_prompts", JsonFiles.strings(c.attributePrompts()));
      rec.set("generation_prompts", JsonFiles.strings(c.generationPrompts()));
    }
    JsonFiles.write(file, root);
  }

  private static void target(ObjectNode node, CounterFactCase.Target t) {
    node.put("str", t.str());
    if (t.id() != null) {
      node.put("id", t.id());
    }
  }

  /** Converts every case to an engine-neutral request, in file order. */
  public static List<EditRequest> toEditRequests(List<CounterFactCase> cases) {
    return cases.stream().map(CounterFactCase::toEditRequest).toList();
  }
}
