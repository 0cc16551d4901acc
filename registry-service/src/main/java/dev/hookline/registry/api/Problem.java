package dev.hookline.registry.api;

import java.util.List;

/**
 * RFC 9457 problem details, the body of every 4xx/5xx answer ({@code application/problem+json}).
 *
 * @param type   a URI naming the kind of problem ({@code urn:hookline:problem:<slug>})
 * @param title  short summary of the kind
 * @param status HTTP status
 * @param detail what went wrong in this request
 * @param fields the offending request fields (JSON paths), empty when none applies
 */
public record Problem(String type, String title, int status, String detail, List<FieldError> fields) {

    /** Media type of problem bodies. */
    public static final String MEDIA_TYPE = "application/problem+json";

    public Problem {
        fields = fields == null ? List.of() : List.copyOf(fields);
    }

    /** One offending field: its JSON path in the request and why it was refused. */
    public record FieldError(String field, String message) {
    }
}
