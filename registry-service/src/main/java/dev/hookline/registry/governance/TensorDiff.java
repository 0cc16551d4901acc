/*
 * Issue 25, version diffs without a worker: the registry compares two versions' hook tensors itself.
 * Each version's serving.safetensors (edit-engine HookBundle: delta.<l> = W_h - W_0, (d_ff, d) F32,
 * and alpha.<l> (1) F64 per layer) is streamed from object storage to a temporary file, then read
 * one layer at a time; the difference D = delta_to - delta_from of each layer goes through ND4J:
 * its Frobenius norm and its top singular values (LAPACK gesvd, singular values only). Version 0
 * (the base model) has no hooks: all its deltas are zero.
 * Memory: per layer the two float32 deltas on the heap and D off-heap (ND4J), closed after the layer.
 */
package dev.hookline.registry.governance;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.blob.BlobStore;
import dev.hookline.registry.blob.ManifestEntry;
import dev.hookline.registry.version.HookVersion;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Computes per-layer tensor diffs between two hook versions of one model. */
@ApplicationScoped
public class TensorDiff {

    private static final Logger LOG = Logger.getLogger(TensorDiff.class);

    /** The serving part of a hook bundle in a version's manifest (the worker uses the file name as role). */
    public static final String SERVING_ROLE = "serving.safetensors";
    /** Most singular values a caller may ask for. */
    public static final int MAX_TOP = 16;
    /**
     * A layer "moved" when ||D||_F exceeds this fraction of the larger of the two deltas' norms:
     * identical stored deltas give exactly 0, and float32 rounding of a replayed edit stays far below.
     */
    public static final double MOVED_RELATIVE = 1e-6;

    /**
     * Diffs computed at once; more get a 429 (each holds two layers in memory and a gesvd workspace,
     * and any role may ask, so the registry bounds what a burst of requests can take).
     */
    public static final int MAX_CONCURRENT = 2;

    private final java.util.concurrent.Semaphore running = new java.util.concurrent.Semaphore(MAX_CONCURRENT);

    @Inject
    BlobStore blobs;

    /**
     * One layer's comparison.
     *
     * @param layer          block index
     * @param shape          (d_ff, d) of the delta
     * @param fromNorm       ||delta_from||_F (0 where the layer has no hook on that side)
     * @param toNorm         ||delta_to||_F
     * @param diffNorm       ||delta_to - delta_from||_F
     * @param relativeChange diffNorm / max(fromNorm, toNorm), 0 when both are 0
     * @param singularValues the largest singular values of delta_to - delta_from, descending
     * @param topEnergy      share of ||D||_F^2 in those singular values (1 = D has at most that rank)
     * @param fromAlpha      alpha of the layer on the from side, null without a hook there
     * @param toAlpha        alpha on the to side, null without a hook there
     * @param moved          whether the layer's delta changed (see {@link #MOVED_RELATIVE})
     */
    public record LayerDiff(int layer, long[] shape, double fromNorm, double toNorm, double diffNorm,
                            double relativeChange, double[] singularValues, double topEnergy, Double fromAlpha,
                            Double toAlpha, boolean moved) {
    }

    /**
     * The comparison of two versions (id 0 = the base model, no hooks).
     *
     * @param modelId     the model
     * @param fromId      from version id (0 = base)
     * @param fromNumber  its number (0 = base)
     * @param toId        to version id
     * @param toNumber    its number
     * @param top         singular values asked for per layer
     * @param layers      per layer, ascending, the union of both sides' hooked layers
     * @param movedLayers the layers whose delta changed
     */
    public record VersionTensorDiff(long modelId, long fromId, int fromNumber, long toId, int toNumber, int top,
                                    List<LayerDiff> layers, List<Integer> movedLayers) {
    }

    /** Compares version {@code fromId} (0 = base model) with {@code toId}; 404/409/422 problems on bad input. */
    public VersionTensorDiff diff(long fromId, long toId, int top) {
        if (top < 1 || top > MAX_TOP) {
            throw ApiProblem.badRequest("top is the number of singular values per layer, 1 to " + MAX_TOP
                    + ", got " + top, "top");
        }
        HookVersion to = HookVersion.findById(toId);
        if (to == null) {
            throw ApiProblem.notFound("version", toId);
        }
        HookVersion from = null;
        if (fromId != 0) {
            from = HookVersion.findById(fromId);
            if (from == null) {
                throw ApiProblem.notFound("version", fromId);
            }
            if (!from.modelId.equals(to.modelId)) {
                throw ApiProblem.conflict("versions " + fromId + " and " + toId + " belong to different models ("
                        + from.modelId + " and " + to.modelId + "); their hooks apply to different weights", "from");
            }
        }
        if (!running.tryAcquire()) {
            throw new ApiProblem(429, "busy", "Too many requests", MAX_CONCURRENT
                    + " tensor diffs are being computed; try again shortly", List.of());
        }
        Path fromFile = null;
        Path toFile = null;
        try {
            fromFile = from == null ? null : download(from);
            toFile = download(to);
            return compare(to.modelId, fromId, from == null ? 0 : from.number, to, fromFile, toFile, top);
        } catch (IOException e) {
            throw new UncheckedIOException("tensor diff of versions " + fromId + " and " + toId + " failed", e);
        } finally {
            deleteQuietly(fromFile);
            deleteQuietly(toFile);
            running.release();
        }
    }

    private VersionTensorDiff compare(long modelId, long fromId, int fromNumber, HookVersion to, Path fromFile,
                                      Path toFile, int top) throws IOException {
        try (SafetensorsFile a = fromFile == null ? null : open(fromFile, fromId);
             SafetensorsFile b = open(toFile, to.id)) {
            TreeSet<Integer> layers = new TreeSet<>();
            if (a != null) {
                layers.addAll(deltaLayers(a, fromId));
            }
            layers.addAll(deltaLayers(b, to.id));
            List<LayerDiff> out = new ArrayList<>();
            List<Integer> moved = new ArrayList<>();
            for (int layer : layers) {
                LayerDiff d = layer(layer, a, b, fromId, to.id, top);
                out.add(d);
                if (d.moved()) {
                    moved.add(layer);
                }
            }
            return new VersionTensorDiff(modelId, fromId, fromNumber, to.id, to.number, top, out, moved);
        }
    }

    /**
     * The hook tensors of a layer, in a fixed order: {@code delta.<l>}, then alphaedit-shards' earlier shards
     * {@code delta.<l>.shard<s>} by s, then the rows {@code codebook.<l>} of codebook-nearest and codebook-subject
     * (the same tensors; rows only grow). All have d columns.
     */
    private static List<String> hookTensors(SafetensorsFile a, SafetensorsFile b, int layer) {
        TreeSet<Integer> shards = new TreeSet<>();
        boolean codebook = false;
        for (SafetensorsFile f : new SafetensorsFile[] {a, b}) {
            if (f == null) {
                continue;
            }
            for (String name : f.entries().keySet()) {
                String shardPrefix = "delta." + layer + ".shard";
                if (name.startsWith(shardPrefix)) {
                    try {
                        shards.add(Integer.parseInt(name.substring(shardPrefix.length())));
                    } catch (NumberFormatException e) {
                        throw ApiProblem.unprocessable("serving tensor '" + name + "' names no shard number");
                    }
                }
                codebook |= name.equals("codebook." + layer);
            }
        }
        List<String> out = new ArrayList<>();
        out.add("delta." + layer);
        shards.forEach(sh -> out.add("delta." + layer + ".shard" + sh));
        if (codebook) {
            out.add("codebook." + layer);
        }
        return out;
    }

    private static LayerDiff layer(int layer, SafetensorsFile a, SafetensorsFile b, long fromId, long toId, int top)
            throws IOException {
        // A layer's hook state is the stack of its tensors (one delta, alphaedit-shards' earlier shard deltas,
        // codebook-nearest's and codebook-subject's rows), each a (rows, d) matrix: D stacks each tensor's
        // difference, a side without a tensor counting as zeros; codebook rows the other side lacks (edits added
        // since) count as zeros too.
        long cols = -1;
        List<float[]> parts = new ArrayList<>();
        long rows = 0;
        double toSq = 0;
        double fromSq = 0;
        long[] firstShape = null;
        for (String name : hookTensors(a, b, layer)) {
            SafetensorsFile.Entry ea = a == null ? null : a.entry(name);
            SafetensorsFile.Entry eb = b.entry(name);
            if (ea == null && eb == null) {
                continue;
            }
            for (SafetensorsFile.Entry e : new SafetensorsFile.Entry[] {ea, eb}) {
                if (e != null && e.shape().length != 2) {
                    throw ApiProblem.unprocessable("tensor " + name + " has shape " + Arrays.toString(e.shape())
                            + ", expected (rows, d)");
                }
            }
            boolean rowsMayGrow = name.startsWith("codebook.");
            if (ea != null && eb != null && (ea.shape()[1] != eb.shape()[1]
                    || (!rowsMayGrow && ea.shape()[0] != eb.shape()[0]))) {
                throw ApiProblem.unprocessable("layer " + layer + ": version " + fromId + " has a " + name + " of shape "
                        + Arrays.toString(ea.shape()) + ", version " + toId + " one of shape " + Arrays.toString(eb.shape()));
            }
            long c = (eb != null ? eb : ea).shape()[1];
            if (cols >= 0 && c != cols) {
                throw ApiProblem.unprocessable("layer " + layer + ": " + name + " has " + c + " columns, the layer's other"
                        + " hook tensors " + cols);
            }
            cols = c;
            long r = Math.max(ea == null ? 0 : ea.shape()[0], eb == null ? 0 : eb.shape()[0]);
            if (firstShape == null) {
                firstShape = new long[] {r, c};
            }
            float[] d = new float[Math.toIntExact(r * c)]; // row-major (r, d): to - from
            if (eb != null) {
                float[] t = b.readFloats(name);
                toSq += sumSq(t);
                System.arraycopy(t, 0, d, 0, t.length);
            }
            if (ea != null) {
                float[] f = a.readFloats(name);
                fromSq += sumSq(f);
                for (int i = 0; i < f.length; i++) {
                    d[i] -= f[i];
                }
            }
            parts.add(d);
            rows += r;
        }
        long[] shape = parts.size() == 1 ? firstShape : new long[] {rows, cols};
        float[] d = parts.size() == 1 ? parts.get(0) : new float[Math.toIntExact(rows * cols)];
        if (parts.size() > 1) {
            int at = 0;
            for (float[] part : parts) {
                System.arraycopy(part, 0, d, at, part.length);
                at += part.length;
            }
        }
        double toNorm = Math.sqrt(toSq);
        double fromNorm = Math.sqrt(fromSq);
        double[] sv;
        double diffNorm;
        // Row-major (d_ff, d) data is column-major (d, d_ff): D^T, which has D's singular values.
        INDArray dt = Nd4j.create(d, new long[]{shape[1], shape[0]}, 'f');
        try {
            diffNorm = dt.norm2Number().doubleValue();
            sv = diffNorm == 0 ? new double[(int) Math.min(top, Math.min(shape[0], shape[1]))]
                    : topSingularValues(dt, top);
        } finally {
            dt.close();
        }
        double energy = 0;
        for (double s : sv) {
            energy += s * s;
        }
        double scale = Math.max(fromNorm, toNorm);
        double relative = scale == 0 ? 0 : diffNorm / scale;
        return new LayerDiff(layer, shape, fromNorm, toNorm, diffNorm, relative, sv,
                diffNorm == 0 ? 0 : Math.min(1.0, energy / (diffNorm * diffNorm)), alpha(a, layer), alpha(b, layer),
                relative > MOVED_RELATIVE);
    }

    /**
     * The {@code top} largest singular values of a matrix, descending (LAPACK gesvd without U and V;
     * the input is overwritten).
     */
    static double[] topSingularValues(INDArray m, int top) {
        INDArray a = m.ordering() == 'f' ? m : m.dup('f');
        int k = (int) Math.min(a.rows(), a.columns());
        INDArray s = Nd4j.create(a.dataType(), k);
        try {
            Nd4j.getBlasWrapper().lapack().gesvd(a, s, null, null);
            double[] all = s.toDoubleVector();
            Arrays.sort(all);
            int n = Math.min(top, all.length);
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                out[i] = all[all.length - 1 - i];
            }
            return out;
        } finally {
            s.close();
            if (a != m) {
                a.close();
            }
        }
    }

    /** The singular values of a small row-major matrix (float32), descending; for checks and tests. */
    public static double[] singularValues(float[] rowMajor, int rows, int cols) {
        INDArray m = Nd4j.create(rowMajor, new long[]{cols, rows}, 'f'); // the transpose, same values
        try {
            return topSingularValues(m, Math.min(rows, cols));
        } finally {
            m.close();
        }
    }

    private static double sumSq(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return s;
    }

    private static Double alpha(SafetensorsFile f, int layer) throws IOException {
        if (f == null || f.entry("alpha." + layer) == null) {
            return null;
        }
        float[] v = f.readFloats("alpha." + layer);
        return v.length == 0 ? null : (double) v[0];
    }

    private static List<Integer> deltaLayers(SafetensorsFile f, long versionId) {
        List<Integer> out = new ArrayList<>();
        for (String name : f.entries().keySet()) {
            if (name.startsWith("delta.")) {
                String rest = name.substring("delta.".length());
                int dot = rest.indexOf('.');
                if (dot >= 0 && rest.substring(dot).startsWith(".shard")) {
                    continue; // alphaedit-shards: an earlier shard of layer rest[0..dot), diffed with its layer
                }
                try {
                    out.add(Integer.parseInt(rest));
                } catch (NumberFormatException e) {
                    throw ApiProblem.unprocessable("version " + versionId + "'s serving tensors name a delta '" + name
                            + "' without a layer number");
                }
            }
        }
        if (out.isEmpty()) {
            throw ApiProblem.unprocessable("version " + versionId + "'s serving tensors hold no delta.<layer>: "
                    + "not a hook bundle's serving part");
        }
        return out;
    }

    private static SafetensorsFile open(Path file, long versionId) throws IOException {
        try {
            return SafetensorsFile.open(file);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.unprocessable("version " + versionId + "'s " + SERVING_ROLE + " is not a readable "
                    + "safetensors file: " + e.getMessage());
        }
    }

    /** Streams the version's serving tensors to a temporary file (never whole in memory). */
    private Path download(HookVersion v) throws IOException {
        Map<String, List<ManifestEntry>> manifest = Json.read(v.manifestJson,
                new TypeReference<Map<String, List<ManifestEntry>>>() {
                });
        ManifestEntry serving = manifest.getOrDefault("serving", List.of()).stream()
                .filter(e -> SERVING_ROLE.equals(e.role())).findFirst()
                .orElseThrow(() -> ApiProblem.unprocessable("version " + v.id + " (v" + v.number + ") has no "
                        + SERVING_ROLE + " in its manifest: it was not written as a hook bundle, nothing to compare"));
        Path tmp = Files.createTempFile("hookline-diff-" + v.id + "-", ".safetensors");
        try (InputStream in = blobs.open(serving.key())) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
        return tmp;
    }

    private static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warnf("could not delete temporary diff file %s: %s", p, e.getMessage());
        }
    }
}
