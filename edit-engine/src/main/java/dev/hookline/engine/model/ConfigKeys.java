/*
 * Typed reads of Hugging Face config.json keys with errors that name the file and the key.
 */
package dev.hookline.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/** Reads keys of one {@code config.json} tree; used by each family's config mapping. */
public record ConfigKeys(JsonNode root, Path file) {

    /** An integer that must be present. */
    public int requiredInt(String key) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull() || !node.canConvertToInt()) {
            throw new IllegalArgumentException(file + ": missing or non-integer key '" + key + "'");
        }
        return node.asInt();
    }

    /** An integer, or {@code fallback} when absent or null. */
    public int optionalInt(String key, int fallback) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.canConvertToInt()) {
            throw new IllegalArgumentException(file + ": key '" + key + "' is not an integer: " + node);
        }
        return node.asInt();
    }

    /** An integer or the first of an integer list (Llama 3 lists several eos ids), else fallback. */
    public int firstInt(String key, int fallback) {
        JsonNode node = root.get(key);
        if (node != null && node.isArray() && node.size() > 0) {
            node = node.get(0);
        }
        if (node == null || node.isNull() || node.isArray()) {
            return fallback;
        }
        if (!node.canConvertToInt()) {
            throw new IllegalArgumentException(file + ": key '" + key + "' is not an integer: " + node);
        }
        return node.asInt();
    }

    public double number(String key, double fallback) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isNumber()) {
            throw new IllegalArgumentException(file + ": key '" + key + "' is not a number: " + node);
        }
        return node.asDouble();
    }

    public boolean bool(String key, boolean fallback) {
        JsonNode node = root.get(key);
        return node == null || node.isNull() ? fallback : node.asBoolean();
    }

    public String string(String key, String fallback) {
        JsonNode node = root.get(key);
        return node == null || node.isNull() ? fallback : node.asText();
    }
}
