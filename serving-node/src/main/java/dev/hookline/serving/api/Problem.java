/*
 * RFC 9457 problem details, the body of every 4xx/5xx answer of the node, in the same shape as
 * the registry's (docs/API.md "Errors").
 */
package dev.hookline.serving.api;

import java.util.List;

/**
 * @param type {@code urn:hookline:problem:<slug>}
 * @param title short summary of the kind
 * @param status HTTP status
 * @param detail what went wrong in this request
 * @param fields offending request fields (JSON paths), empty when none applies
 */
public record Problem(String type, String title, int status, String detail, List<FieldError> fields) {
    /** Media type of problem bodies. */
    public static final String MEDIA_TYPE = "application/problem+json";

    public Problem {
        fields = fields == null ? List.of() : List.copyOf(fields);
    }

    /** One offending field and why it was refused. */
    public record FieldError(String field, String message) {
    }
}
