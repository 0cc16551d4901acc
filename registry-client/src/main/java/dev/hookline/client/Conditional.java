/*
 * The answer of a conditional GET (If-None-Match), as used for channel/version resolution.
 */
package dev.hookline.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Either "not modified" (body null) or a fresh body with its ETag.
 *
 * @param notModified true for 304
 * @param etag the ETag of the current representation (the one sent when not modified)
 * @param body the JSON body, null when not modified
 */
public record Conditional(boolean notModified, String etag, JsonNode body) {
}
