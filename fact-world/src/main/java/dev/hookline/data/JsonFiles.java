/*
 * Hookline fact world: reading and writing the JSON files of the fact world and the edit datasets,
 * with byte-stable output (fixed field order, LF line ends) and errors that name file, record and field.
 */
package dev.hookline.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** JSON helpers shared by the dataset loaders/writers and the fact-world writer. */
public final class JsonFiles {

  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private JsonFiles() {}

  /** A fresh ordered object node (fields are written in insertion order). */
  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  /** A fresh array node. */
  public static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  /** An array node of strings. */
  public static ArrayNode strings(List<String> values) {
    ArrayNode node = array();
    values.forEach(node::add);
    return node;
  }

  /**
   * Writes {@code node} pretty-printed with two-space indentation and {@code \n} line ends, so the
   * bytes depend only on the content. Writes a sibling temp file first and moves it into place, so a
   * failure never leaves a half-written file under the final name.
   */
  public static void write(Path file, JsonNode node) throws IOException {
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
        .withObjectIndenter(new DefaultIndenter("  ", "\n"))
        .withArrayIndenter(new DefaultIndenter("  ", "\n"))
        .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER));
    byte[] bytes = MAPPER.writer(printer).writeValueAsBytes(node);
    writeBytes(file, bytes);
  }

  /** Writes text lines joined by {@code \n} (with a final newline), atomically as {@link #write}. */
  public static void writeLines(Path file, List<String> lines) throws IOException {
    StringBuilder text = new StringBuilder();
    for (String line : lines) {
      text.append(line).append('\n');
    }
    writeBytes(file, text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static void writeBytes(Path file, byte[] bytes) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = parent.resolve("." + file.getFileName() + ".tmp");
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads a file whose top level must be a JSON array of objects.
   *
   * @throws DatasetFormatException if the file cannot be read, is not JSON, or is not an array
   */
  static ArrayNode readArray(Path file) {
    String name = file.toString();
    JsonNode root;
    try {
      root = MAPPER.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      throw new DatasetFormatException(name, "not valid JSON"
          + (loc != null ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "")
          + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new DatasetFormatException(name, "cannot read file: " + e.getMessage(), e);
    }
    if (root == null || root.isMissingNode()) {
      throw new DatasetFormatException(name, "empty file, expected a JSON array of records", null);
    }
    if (!root.isArray()) {
      throw new DatasetFormatException(name, "expected a JSON array of records at the top level, found "
          + kind(root), null);
    }
    return (ArrayNode) root;
  }

  static String kind(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> node.getNodeType().toString().toLowerCase();
    };
  }

  /**
   * Field access on one record of a dataset array; every failure becomes a
   * {@link DatasetFormatException} naming file, record index, case id and dotted field path.
   */
  static final class RecordReader {
    private final String file;
    private final int index;
    private final JsonNode record;
    private Integer caseId;

    RecordReader(String file, int index, JsonNode record) {
      this.file = file;
      this.index = index;
      this.record = record;
      if (!record.isObject()) {
        throw new DatasetFormatException(file, index, null, "(record)", "expected an object, found " + kind(record));
      }
    }

    /** Records the case id so that later messages carry it. */
    void caseId(Integer caseId) {
      this.caseId = caseId;
    }

    DatasetFormatException error(String field, String problem) {
      return new DatasetFormatException(file, index, caseId, field, problem);
    }

    /** The node at a dotted path, or null when any step is absent. Intermediate steps must be objects. */
    private JsonNode at(String path) {
      JsonNode node = record;
      String[] steps = path.split("\\.");
      StringBuilder walked = new StringBuilder();
      for (String step : steps) {
        if (!node.isObject()) {
          throw error(walked.toString(), "expected an object, found " + kind(node));
        }
        node = node.get(step);
        if (walked.length() > 0) {
          walked.append('.');
        }
        walked.append(step);
        if (node == null || node.isNull()) {
          return null;
        }
      }
      return node;
    }

    int requiredInt(String path) {
      JsonNode node = at(path);
      if (node == null) {
        throw error(path, "missing");
      }
      if (!node.isIntegralNumber() || !node.canConvertToInt()) {
        throw error(path, "expected an integer, found " + kind(node));
      }
      return node.intValue();
    }

    /** The int at path if it is present and an integer, else null (never throws). */
    Integer peekInt(String path) {
      JsonNode node = record.get(path);
      return node != null && node.isIntegralNumber() && node.canConvertToInt() ? node.intValue() : null;
    }

    String requiredString(String path) {
      String value = optionalString(path);
      if (value == null) {
        throw error(path, "missing");
      }
      if (value.isBlank()) {
        throw error(path, "must not be blank");
      }
      return value;
    }

    String optionalString(String path) {
      JsonNode node = at(path);
      if (node == null) {
        return null;
      }
      if (!node.isTextual()) {
        throw error(path, "expected a string, found " + kind(node));
      }
      return node.textValue();
    }

    List<String> requiredStrings(String path) {
      List<String> values = optionalStrings(path);
      if (values == null) {
        throw error(path, "missing");
      }
      return values;
    }

    /** A list of strings, or null when absent. */
    List<String> optionalStrings(String path) {
      JsonNode node = at(path);
      if (node == null) {
        return null;
      }
      if (!node.isArray()) {
        throw error(path, "expected an array of strings, found " + kind(node));
      }
      List<String> values = new ArrayList<>(node.size());
      for (int i = 0; i < node.size(); i++) {
        JsonNode item = node.get(i);
        if (!item.isTextual()) {
          throw error(path + "[" + i + "]", "expected a string, found " + kind(item));
        }
        values.add(item.textValue());
      }
      return values;
    }
  }
}
