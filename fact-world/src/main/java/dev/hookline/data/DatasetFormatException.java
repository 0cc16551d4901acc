/*
 * Hookline fact world: the error raised when an edit dataset file does not have the expected layout.
 */
package dev.hookline.data;

/**
 * An edit dataset file (CounterFact or ZsRE layout) that cannot be read.
 *
 * <p>The message always names the file and, when the problem is inside one record, the record's
 * index in the top-level array, its {@code case_id} when it has one, and the dotted path of the
 * offending field, e.g. {@code counterfact.json: record 3 (case_id 17): field
 * requested_rewrite.subject: missing}.
 */
public final class DatasetFormatException extends RuntimeException {

  private final String file;
  private final int recordIndex;
  private final String field;

  /** A problem with the file as a whole (not JSON, not an array, unreadable). */
  public DatasetFormatException(String file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
    this.recordIndex = -1;
    this.field = null;
  }

  /**
   * A problem with one field of one record.
   *
   * @param caseId the record's {@code case_id} if it has a readable one, else null
   */
  public DatasetFormatException(String file, int recordIndex, Integer caseId, String field, String problem) {
    super(file + ": record " + recordIndex + (caseId != null ? " (case_id " + caseId + ")" : "")
        + ": field " + field + ": " + problem);
    this.file = file;
    this.recordIndex = recordIndex;
    this.field = field;
  }

  /** The file that was being read. */
  public String file() {
    return file;
  }

  /** Index of the offending record in the top-level array, or -1 for a whole-file problem. */
  public int recordIndex() {
    return recordIndex;
  }

  /** Dotted path of the offending field, or null for a whole-file problem. */
  public String field() {
    return field;
  }
}
