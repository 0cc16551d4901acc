package dev.hookline.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.world.FactWorld;
import dev.hookline.world.WorldPreset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CounterFactDatasetTest {

  /** Two records in the layout of the published counterfact.json (ROME), extra fields included. */
  static final String REAL_SAMPLE = """
      [
        {
          "case_id": 0,
          "pararel_idx": 2796,
          "requested_rewrite": {
            "prompt": "The mother tongue of {} is",
            "relation_id": "P103",
            "target_new": {"str": "English", "id": "Q1860"},
            "target_true": {"str": "French", "id": "Q150"},
            "subject": "Danielle Darrieux"
          },
          "paraphrase_prompts": [
            "Shayna does this and Yossel goes still and dies. Danielle Darrieux, a native",
            "An album was recorded for Capitol Nashville but never released. Danielle Darrieux spoke the language"
          ],
          "neighborhood_prompts": [
            "The mother tongue of L\\u00e9on Blum is",
            "The native language of Montesquieu is",
            "Fran\\u00e7ois Bayrou, a native",
            "The native language of Raymond Barre is",
            "Michel Rocard is a native speaker of"
          ],
          "attribute_prompts": [
            "J.\\u00a0R.\\u00a0R. Tolkien is a native speaker of",
            "The mother tongue of Douglas Adams is"
          ],
          "generation_prompts": [
            "Danielle Darrieux's mother tongue is",
            "Where Danielle Darrieux is from, people speak the language of"
          ]
        },
        {
          "case_id": 1,
          "pararel_idx": 2757,
          "requested_rewrite": {
            "prompt": "The official religion of {} is",
            "relation_id": "P140",
            "target_new": {"str": "Islam", "id": "Q432"},
            "target_true": {"str": "Christianity", "id": "Q5043"},
            "subject": "Edwin of Northumbria"
          },
          "paraphrase_prompts": [
            "The school chiefly served tribal girls of Dang. Edwin of Northumbria follows the religion of",
            "Regarding the Sweet Shoppe. Edwin of Northumbria is affiliated with the religion"
          ],
          "neighborhood_prompts": [
            "Josef Bilczewski is affiliated with the religion",
            "Henry II of France follows the religion of"
          ],
          "attribute_prompts": ["Mahmoud Abbas is affiliated with the religion"],
          "generation_prompts": ["Edwin of Northumbria's religious values strongly emphasize"]
        }
      ]
      """;

  @Test
  void readsTheGeneratedFileBackEqual(@TempDir Path tmp) throws Exception {
    FactWorld world = FactWorld.generate(WorldPreset.named("tiny"));
    world.writeTo(tmp);
    List<CounterFactCase> loaded = CounterFactDataset.load(tmp.resolve("counterfact.json"));
    assertEquals(world.counterFactCases(), loaded);
    assertEquals(world.editRequests(), CounterFactDataset.toEditRequests(loaded));
  }

  @Test
  void readsThePublishedLayout(@TempDir Path tmp) throws Exception {
    Path file = tmp.resolve("counterfact.json");
    Files.writeString(file, REAL_SAMPLE);
    List<CounterFactCase> cases = CounterFactDataset.load(file);
    assertEquals(2, cases.size());
    CounterFactCase c = cases.get(0);
    assertEquals(0, c.caseId());
    assertEquals("Danielle Darrieux", c.requestedRewrite().subject());
    assertEquals("P103", c.requestedRewrite().relationId());
    assertEquals(new CounterFactCase.Target("English", "Q1860"), c.requestedRewrite().targetNew());
    assertEquals(new CounterFactCase.Target("French", "Q150"), c.requestedRewrite().targetTrue());
    assertEquals("The mother tongue of Léon Blum is", c.neighborhoodPrompts().get(0));
    assertEquals(5, c.neighborhoodPrompts().size());
    assertEquals(2, c.attributePrompts().size());
    assertEquals(2, c.generationPrompts().size());

    EditRequest r = cases.get(1).toEditRequest();
    assertEquals("1", r.caseId());
    assertEquals("The official religion of Edwin of Northumbria is", r.filledPrompt());
    assertEquals("Islam", r.targetNew());
    assertEquals("Christianity", r.targetTrue());
    assertEquals("Christianity", r.neighborhoodTarget());
    assertEquals(List.of("Mahmoud Abbas is affiliated with the religion"), r.localityPrompts());
    assertEquals(List.of("Islam"), r.localityTargets());
  }

  @Test
  void optionalFieldsMayBeAbsent(@TempDir Path tmp) throws Exception {
    Path file = tmp.resolve("cf.json");
    Files.writeString(file, """
        [{"case_id": 9, "requested_rewrite": {"prompt": "{} plays", "relation_id": "P641",
          "target_new": {"str": "golf"}, "target_true": {"str": "tennis"}, "subject": "Ann Lee"},
          "paraphrase_prompts": [], "neighborhood_prompts": []}]
        """);
    CounterFactCase c = CounterFactDataset.load(file).get(0);
    assertNull(c.requestedRewrite().targetNew().id());
    assertEquals(List.of(), c.attributePrompts());
    EditRequest r = c.toEditRequest();
    assertNull(r.neighborhoodTarget());
    assertEquals(List.of(), r.localityPrompts());
  }

  private static DatasetFormatException rejects(Path tmp, String json) throws Exception {
    Path file = tmp.resolve("bad.json");
    Files.writeString(file, json);
    return assertThrows(DatasetFormatException.class, () -> CounterFactDataset.load(file));
  }

  /** The second record of the real sample with one edit applied. */
  private static String secondRecordWith(String from, String to) {
    int second = REAL_SAMPLE.indexOf("\"case_id\": 1");
    String head = REAL_SAMPLE.substring(0, second);
    String tail = REAL_SAMPLE.substring(second);
    assertTrue(tail.contains(from), from);
    return head + tail.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
  }

  @Test
  void rejectsMissingSubjectNamingRecordCaseAndField(@TempDir Path tmp) throws Exception {
    var e = rejects(tmp, secondRecordWith("\"subject\": \"Edwin of Northumbria\"", "\"subjekt\": \"Edwin of Northumbria\""));
    assertTrue(e.getMessage().endsWith("bad.json: record 1 (case_id 1): field requested_rewrite.subject: missing"),
        e.getMessage());
    assertEquals(1, e.recordIndex());
    assertEquals("requested_rewrite.subject", e.field());
  }

  @Test
  void rejectsWrongTypes(@TempDir Path tmp) throws Exception {
    var e = rejects(tmp, secondRecordWith("\"case_id\": 1", "\"case_id\": \"one\""));
    assertTrue(e.getMessage().endsWith("bad.json: record 1: field case_id: expected an integer, found a string"),
        e.getMessage());

    e = rejects(tmp, secondRecordWith("\"target_new\": {\"str\": \"Islam\", \"id\": \"Q432\"}", "\"target_new\": \"Islam\""));
    assertTrue(e.getMessage().endsWith("record 1 (case_id 1): field requested_rewrite.target_new: expected an object, found a string"),
        e.getMessage());

    e = rejects(tmp, secondRecordWith("\"attribute_prompts\": [\"Mahmoud", "\"attribute_prompts\": [7, \"Mahmoud"));
    assertTrue(e.getMessage().endsWith("record 1 (case_id 1): field attribute_prompts[0]: expected a string, found a number"),
        e.getMessage());

    e = rejects(tmp, secondRecordWith("\"neighborhood_prompts\": [", "\"neighborhood_prompts\": {\"x\": 1}, \"unused\": ["));
    assertTrue(e.getMessage().contains("field neighborhood_prompts: expected an array of strings, found an object"),
        e.getMessage());

    e = rejects(tmp, secondRecordWith("\"The official religion of {} is\"", "\"The official religion of Edwin is\""));
    assertTrue(e.getMessage().contains("record 1 (case_id 1): field requested_rewrite.prompt: must contain {}"),
        e.getMessage());

    e = rejects(tmp, secondRecordWith("\"case_id\": 1", "\"case_id\": 0"));
    assertTrue(e.getMessage().endsWith("record 1 (case_id 0): field case_id: duplicate case_id"), e.getMessage());
  }

  @Test
  void rejectsFilesThatAreNotAnArrayOfRecords(@TempDir Path tmp) throws Exception {
    var e = rejects(tmp, "{\"case_id\": 0}");
    assertTrue(e.getMessage().endsWith("bad.json: expected a JSON array of records at the top level, found an object"),
        e.getMessage());
    e = rejects(tmp, REAL_SAMPLE.substring(0, REAL_SAMPLE.length() / 2));
    assertTrue(e.getMessage().contains("bad.json: not valid JSON at line"), e.getMessage());
    e = rejects(tmp, "");
    assertTrue(e.getMessage().contains("bad.json: empty file"), e.getMessage());
    e = rejects(tmp, "[1]");
    assertTrue(e.getMessage().endsWith("bad.json: record 0: field (record): expected an object, found a number"),
        e.getMessage());
    e = rejects(tmp, "[] []");
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    var missing = assertThrows(DatasetFormatException.class, () -> CounterFactDataset.load(tmp.resolve("nope.json")));
    assertTrue(missing.getMessage().contains("nope.json: cannot read file"), missing.getMessage());
  }
}
