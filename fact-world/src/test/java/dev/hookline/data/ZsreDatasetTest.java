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

class ZsreDatasetTest {

  /** Two records in the layout of the published zsRE edit files (MEND / MEMIT). */
  static final String REAL_SAMPLE = """
      [
        {
          "subject": "Watts Humphrey",
          "src": "What university did Watts Humphrey attend?",
          "pred": "Trinity College",
          "rephrase": "What university did Watts Humphrey take part in?",
          "alt": "University of Michigan",
          "answers": ["Illinois Institute of Technology"],
          "loc": "nq question: who played desmond doss father in hacksaw ridge",
          "loc_ans": "Hugo Weaving",
          "cond": "Trinity College >> University of Michigan || What university did Watts Humphrey attend?"
        },
        {
          "subject": "Ramalinaceae",
          "src": "Which family does Ramalinaceae belong to?",
          "pred": "Lecanorales",
          "rephrase": "What family are Ramalinaceae?",
          "alt": "Lamiinae",
          "answers": ["Lecanorales"],
          "loc": "nq question: types of skiing in the winter olympics 2018",
          "loc_ans": "Downhill",
          "cond": "Lecanorales >> Lamiinae || Which family does Ramalinaceae belong to?"
        }
      ]
      """;

  @Test
  void readsTheGeneratedFileBackEqual(@TempDir Path tmp) throws Exception {
    FactWorld world = FactWorld.generate(WorldPreset.named("tiny"));
    world.writeTo(tmp);
    List<ZsreCase> loaded = ZsreDataset.load(tmp.resolve("zsre.json"));
    assertEquals(world.zsreCases(), loaded);
    List<EditRequest> reqs = ZsreDataset.toEditRequests(loaded);
    assertEquals(loaded.size(), reqs.size());
    assertTrue(reqs.get(0).prompt().startsWith("Q: ") && reqs.get(0).prompt().contains("{}"), reqs.get(0).prompt());
  }

  @Test
  void readsThePublishedLayoutAndConvertsToEditRequests(@TempDir Path tmp) throws Exception {
    Path file = tmp.resolve("zsre_mem.json");
    Files.writeString(file, REAL_SAMPLE);
    List<ZsreCase> cases = ZsreDataset.load(file);
    assertEquals(2, cases.size());
    ZsreCase z = cases.get(0);
    assertEquals("Trinity College", z.pred());
    assertEquals(List.of("Illinois Institute of Technology"), z.answers());
    assertEquals("Hugo Weaving", z.locAns());
    EditRequest r = z.toEditRequest("0");
    assertEquals("What university did {} attend?", r.prompt());
    assertEquals("University of Michigan", r.targetNew());
    assertEquals("Illinois Institute of Technology", r.targetTrue());
    assertEquals(List.of("What university did Watts Humphrey take part in?"), r.paraphrasePrompts());
    assertEquals(List.of(), r.neighborhoodPrompts());
    assertNull(r.neighborhoodTarget());
    assertEquals(List.of("nq question: who played desmond doss father in hacksaw ridge"), r.localityPrompts());
    assertEquals(List.of("Hugo Weaving"), r.localityTargets());
    assertEquals("Which family does {} belong to?", cases.get(1).toEditRequest("1").prompt());
  }

  @Test
  void optionalPredAndCondMayBeAbsent(@TempDir Path tmp) throws Exception {
    Path file = tmp.resolve("z.json");
    Files.writeString(file, REAL_SAMPLE.replace("\"pred\": \"Lecanorales\",", "")
        .replace("\"cond\": \"Lecanorales >> Lamiinae || Which family does Ramalinaceae belong to?\"", "\"extra\": 1"));
    ZsreCase z = ZsreDataset.load(file).get(1);
    assertNull(z.pred());
    assertNull(z.cond());
  }

  @Test
  void subjectMissingFromSrcIsRejectedOnConversion() {
    ZsreCase z = new ZsreCase("Ann Lee", "Who founded the Shakers?", null, "r", "x", List.of("y"), "l", "a", null);
    var e = assertThrows(IllegalArgumentException.class, () -> z.toEditRequest("17"));
    assertEquals("zsRE case 17: subject \"Ann Lee\" does not occur in src \"Who founded the Shakers?\","
        + " cannot build a prompt template", e.getMessage());
  }

  private static DatasetFormatException rejects(Path tmp, String json) throws Exception {
    Path file = tmp.resolve("bad_zsre.json");
    Files.writeString(file, json);
    return assertThrows(DatasetFormatException.class, () -> ZsreDataset.load(file));
  }

  @Test
  void rejectsMalformedRecordsNamingRecordAndField(@TempDir Path tmp) throws Exception {
    var e = rejects(tmp, REAL_SAMPLE.replace("\"src\": \"Which family", "\"source\": \"Which family"));
    assertTrue(e.getMessage().endsWith("bad_zsre.json: record 1: field src: missing"), e.getMessage());
    e = rejects(tmp, REAL_SAMPLE.replace("\"answers\": [\"Lecanorales\"]", "\"answers\": \"Lecanorales\""));
    assertTrue(e.getMessage().endsWith("record 1: field answers: expected an array of strings, found a string"),
        e.getMessage());
    e = rejects(tmp, REAL_SAMPLE.replace("\"loc_ans\": \"Hugo Weaving\"", "\"loc_ans\": null"));
    assertTrue(e.getMessage().endsWith("record 0: field loc_ans: missing"), e.getMessage());
    e = rejects(tmp, REAL_SAMPLE.replace("\"pred\": \"Trinity College\"", "\"pred\": 3"));
    assertTrue(e.getMessage().endsWith("record 0: field pred: expected a string, found a number"), e.getMessage());
    e = rejects(tmp, "{\"subject\": \"x\"}");
    assertTrue(e.getMessage().endsWith("expected a JSON array of records at the top level, found an object"), e.getMessage());
    e = rejects(tmp, "[{\"subject\": \"x\",");
    assertTrue(e.getMessage().contains("bad_zsre.json: not valid JSON"), e.getMessage());
  }
}
