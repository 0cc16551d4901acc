/*
 * Resolving what a user types into registry ids: model names, and version references that may
 * name a batch (`b12`, `batch:12`) because a submitter knows the batch id, not the version id.
 */
package dev.hookline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Name and reference resolution against the registry API. */
public final class Lookups {
    private static final Pattern BATCH_REF = Pattern.compile("(?:b|batch:?)(\\d+)", Pattern.CASE_INSENSITIVE);
    private static final Pattern VERSION_REF = Pattern.compile("(?:v|version:?)?(\\d+)", Pattern.CASE_INSENSITIVE);

    private Lookups() {
    }

    /**
     * The model named {@code nameOrId} (a name, or a numeric id); with null, the only registered
     * model, else a usage error listing the names.
     */
    public static JsonNode model(RegistryClient c, String nameOrId) {
        JsonNode models = c.get("/api/models");
        List<String> names = new ArrayList<>();
        for (JsonNode m : models) {
            names.add(m.path("name").asText());
        }
        if (nameOrId == null) {
            if (models.size() == 1) {
                return models.get(0);
            }
            throw CliException.usage(models.isEmpty()
                    ? "no model is registered yet (`hookline model wait NAME` waits for one being built)"
                    : "several models are registered, name one with --model: " + String.join(", ", names));
        }
        for (JsonNode m : models) {
            if (m.path("name").asText().equals(nameOrId)) {
                return m;
            }
        }
        if (nameOrId.matches("\\d+")) {
            for (JsonNode m : models) {
                if (m.path("id").asText().equals(nameOrId)) {
                    return m;
                }
            }
        }
        throw CliException.failed("no model named '" + nameOrId + "'"
                + (names.isEmpty() ? " (none is registered yet)" : "; registered: " + String.join(", ", names)));
    }

    /** Parses a positive id argument, a usage error naming {@code what} otherwise. */
    public static long id(String what, String value) {
        if (value != null && value.matches("\\d{1,18}") && Long.parseLong(value) > 0) {
            return Long.parseLong(value);
        }
        throw CliException.usage(what + " must be a positive integer id, got '" + value + "'");
    }

    /**
     * The version id a reference names: {@code 12} / {@code v12} a version, {@code b12} /
     * {@code batch:12} the version batch 12 produced, {@code 0} the base model when {@code allowBase}.
     *
     * @return the version id, 0 for the base model
     */
    public static long versionId(RegistryClient c, String ref, boolean allowBase) {
        String r = ref == null ? "" : ref.strip();
        Matcher b = BATCH_REF.matcher(r);
        if (b.matches()) {
            long batchId = id("batch id", b.group(1));
            JsonNode batch = get(c, "/api/batches/" + batchId, "batch " + batchId);
            JsonNode v = batch.path("resultVersionId");
            if (v.isNull() || v.isMissingNode()) {
                throw CliException.failed("batch " + batchId + " has no version yet (status "
                        + batch.path("status").asText() + "); `hookline batch watch " + batchId + "` waits for it");
            }
            return v.asLong();
        }
        Matcher m = VERSION_REF.matcher(r);
        if (m.matches()) {
            long id = Long.parseLong(m.group(1));
            if (id == 0 && allowBase) {
                return 0;
            }
            if (id > 0) {
                return id;
            }
        }
        throw CliException.usage("a version reference is a version id (12 or v12)"
                + (allowBase ? ", 0 for the base model" : "") + " or a batch id (b12 or batch:12), got '" + ref + "'");
    }

    /** GET that turns a 404 into a plain "no such X" failure. */
    public static JsonNode get(RegistryClient c, String path, String what) {
        try {
            return c.get(path);
        } catch (RegistryException e) {
            if (e.status() == 404) {
                throw CliException.failed("no " + what + " in the registry");
            }
            throw e;
        }
    }
}
