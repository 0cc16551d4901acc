/*
 * Hookline fact world: loader and writer for zsRE edit files (layout of MEND's zsre_mend_eval.json
 * and MEMIT's zsre_mem.json).
 */
package dev.hookline.data;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes zsRE datasets.
 *
 * <p>Required per record: {@code subject}, {@code src}, {@code rephrase}, {@code alt}, {@code loc},
 * {@code loc_ans} (strings) and {@code answers} (array of strings). Optional: {@code pred},
 * {@code cond}. Unknown fields are ignored.
 */
public final class ZsreDataset {

  private ZsreDataset() {}

  /**
   * Loads every case of a zsRE file.
   *
   * @throws DatasetFormatException naming the file, record index and field when malformed
   */
  public static List<ZsreCase> load(Path file) {
    ArrayNode root = JsonFiles.readArray(file);
    List<ZsreCase> cases = new ArrayList<>(root.size());
    for (int i = 0; i < root.size(); i++) {
      JsonFiles.RecordReader r = new JsonFiles.RecordReader(file.toString(), i, root.get(i));
      cases.add(new ZsreCase(
          r.requiredString("subject"),
          r.requiredString("src"),
          r.optionalString("pred"),
          r.requiredString("rephrase"),
          r.requiredString("alt"),
          r.requiredStrings("answers"),
          r.requiredString("loc"),
          r.requiredString("loc_ans"),
          r.optionalString("cond")));
    }
    return cases;
  }

  /** Writes cases in the published field order. */
  public static void write(Path file, List<ZsreCase> cases) throws IOException {
    ArrayNode root = JsonFiles.array();
    for (ZsreCase c : cases) {
      ObjectNode rec = root.addObject();
      rec.put("subject", c.subject());
      rec.put("src", c.src());
      if (c.pred() != null) {
        rec.put("pred", c.pred());
      }
      rec.put("rephrase", c.rephrase());
      rec.put("alt", c.alt());
      rec.set("answers", JsonFiles.strings(c.answers()));
      rec.put("loc", c.loc());
      rec.put("loc_ans", c.locAns());
      if (c.cond() != null) {
        rec.put("cond", c.cond());
      }
    }
    JsonFiles.write(file, root);
  }

  /** Converts every case to an engine-neutral request; the case id is the record index. */
  public static List<EditRequest> toEditRequests(List<ZsreCase> cases) {
    List<EditRequest> out = new ArrayList<>(cases.size());
    for (int i = 0; i < cases.size(); i++) {
      out.add(cases.get(i).toEditRequest(String.valueOf(i)));
    }
    return out;
  }
}
