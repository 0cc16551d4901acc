/*
 * Locality probes from the fact world an edit stream was drawn from: the edited subject's other
 * relations (their true values must stay) and unrelated corpus lines (every token's prediction
 * must stay), and the provenance a report states: split, world seed, model seed. A relation of the
 * subject that the run itself edits is no locality probe (its answer must change): at 10,000 edits
 * of the large world's test stream 79 % of the subject's other relations are edited too.
 * Reference: issue 29 (locality users care about; held-out splits and draws).
 */
package dev.hookline.engine.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.eval.PerEditEvaluator;
import dev.hookline.world.FactWorld;
import dev.hookline.world.Relation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** Extra locality probes per edit, from a {@link FactWorld}. */
public final class WorldProbes implements Function<EditRequest, List<PerEditEvaluator.Probe>> {
    private final FactWorld world;
    private final int perKind;
    private final Set<String> edited; // "subject\trelation" of every edit of the run

    /** Probes of {@code world}, at most {@code perKind} of each kind per edit; no edit excluded. */
    public WorldProbes(FactWorld world, int perKind) {
        this(world, perKind, List.of());
    }

    /**
     * Probes of {@code world}, at most {@code perKind} of each kind per edit, leaving out the subject
     * relations that {@code stream} (every edit of the run) edits.
     */
    public WorldProbes(FactWorld world, int perKind, List<EditRequest> stream) {
        this.world = world;
        this.perKind = perKind;
        this.edited = new HashSet<>();
        for (EditRequest r : stream) {
            if (r.relation() != null) {
                edited.add(pair(r.subject(), r.relation()));
            }
        }
    }

    private static String pair(String subject, String relation) {
        return subject + "\t" + relation;
    }

    /**
     * The probes of the world written next to {@code dataFile} (its {@code world.json}), or none
     * when the data does not come from a fact world.
     */
    public static Function<EditRequest, List<PerEditEvaluator.Probe>> near(Path dataFile, int perKind,
            List<EditRequest> stream) throws IOException {
        Path dir = dataFile.toAbsolutePath().getParent();
        if (dir == null || !Files.isRegularFile(dir.resolve("world.json"))) {
            return r -> List.of();
        }
        return new WorldProbes(FactWorld.load(dir), perKind, stream);
    }

    @Override
    public List<PerEditEvaluator.Probe> apply(EditRequest r) {
        List<PerEditEvaluator.Probe> out = new ArrayList<>();
        if (world.subjects().contains(r.subject())) {
            int n = 0;
            for (Relation rel : world.relations()) {
                if (n >= perKind || rel.id().equals(r.relation()) || edited.contains(pair(r.subject(), rel.id()))) {
                    continue;
                }
                out.add(new PerEditEvaluator.Probe(PerEditEvaluator.SUBJECT,
                        Relation.fill(rel.canonicalTemplate(), r.subject()), world.valueOf(r.subject(), rel.id())));
                n++;
            }
        }
        List<String> corpus = world.corpus();
        int n = 0;
        int h = r.caseId().hashCode();
        for (int k = 0; k < 8 * perKind && n < perKind; k++) {
            String line = corpus.get(Math.floorMod(h + k * 7919, corpus.size()));
            int space = line.indexOf(' ');
            if (space < 0 || line.contains(r.subject()) || line.contains(r.targetNew())) {
                continue;
            }
            // the line's first word as the prompt, the rest as the continuation whose predictions must stay
            out.add(new PerEditEvaluator.Probe(PerEditEvaluator.UNRELATED, line.substring(0, space),
                    line.substring(space + 1)));
            n++;
        }
        return out;
    }

    /**
     * What a report says it ran on.
     *
     * @param split "dev", "test", "all" (every case) or "unknown" (not a fact-world stream)
     * @param world the world preset's name, or null
     * @param worldSeed the world's root seed, or null
     * @param modelSeed the pretraining seed of the model (its pretrain-report.json), or null
     */
    public record Provenance(String split, String world, Long worldSeed, Long modelSeed) {
        /** Reads the split from the data file's name, the world from world.json beside it, the model seed from the model. */
        public static Provenance of(Path dataFile, Path modelDir) {
            String name = dataFile.getFileName().toString();
            String split = name.endsWith("-" + FactWorld.DEV + ".json") ? FactWorld.DEV
                    : name.endsWith("-" + FactWorld.TEST + ".json") ? FactWorld.TEST
                    : name.equals("counterfact.json") || name.equals("zsre.json") ? "all" : "unknown";
            String world = null;
            Long worldSeed = null;
            Long modelSeed = null;
            ObjectMapper json = new ObjectMapper();
            Path dir = dataFile.toAbsolutePath().getParent();
            try {
                if (dir != null && Files.isRegularFile(dir.resolve("world.json"))) {
                    JsonNode p = json.readTree(dir.resolve("world.json").toFile()).path("preset");
                    world = p.path("name").isTextual() ? p.get("name").asText() : null;
                    worldSeed = p.path("seed").canConvertToLong() ? p.get("seed").asLong() : null;
                }
                Path report = modelDir.resolve("pretrain-report.json");
                if (Files.isRegularFile(report)) {
                    JsonNode s = json.readTree(report.toFile()).path("seed");
                    modelSeed = s.canConvertToLong() ? s.asLong() : null;
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the provenance of " + dataFile + ": " + e.getMessage(), e);
            }
            if ("unknown".equals(split) && world != null) {
                split = "all";
            }
            return new Provenance(split, world, worldSeed, modelSeed);
        }
    }
}
