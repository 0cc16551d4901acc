/*
 * A batch of token sequences, right-padded to a common length, with its attention mask.
 * Reference: the HF convention of input_ids + attention_mask with right padding.
 */
package dev.hookline.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.util.Tensors;
import java.util.Arrays;
import java.util.List;

/**
 * B token rows of possibly different lengths. Row {@code b} is right-padded with {@code padId}
 * to the longest length T; positions {@code >= length(b)} are padding and masked out of
 * attention. Position ids are 0..T-1 in every row.
 */
public final class TokenBatch {
    private final int[][] rows;
    private final int padId;
    private final int length;

    private TokenBatch(int[][] rows, int padId) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("a token batch needs at least one row");
        }
        int max = 0;
        for (int b = 0; b < rows.length; b++) {
            if (rows[b] == null || rows[b].length == 0) {
                throw new IllegalArgumentException("row " + b + " of the token batch is empty");
            }
            max = Math.max(max, rows[b].length);
        }
        this.rows = rows;
        this.padId = padId;
        this.length = max;
    }

    /** A batch of the given rows (copied), padded with {@code padId}. */
    public static TokenBatch of(List<int[]> rows, int padId) {
        int[][] copy = new int[rows.size()][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = rows.get(i).clone();
        }
        return new TokenBatch(copy, padId);
    }

    /** A batch with one row. */
    public static TokenBatch single(int[] row, int padId) {
        return new TokenBatch(new int[][] {row.clone()}, padId);
    }

    /** Number of rows B. */
    public int size() {
        return rows.length;
    }

    /** Padded length T (the longest row). */
    public int length() {
        return length;
    }

    /** Real (unpadded) length of row {@code b}. */
    public int length(int b) {
        return rows[b].length;
    }

    /** A copy of row {@code b} without padding. */
    public int[] row(int b) {
        return rows[b].clone();
    }

    /** The padding id. */
    public int padId() {
        return padId;
    }

    /** Token ids, (B, T) int64, padded. */
    public NDArray ids(NDManager manager) {
        long[] flat = new long[rows.length * length];
        Arrays.fill(flat, padId);
        for (int b = 0; b < rows.length; b++) {
            for (int t = 0; t < rows[b].length; t++) {
                flat[b * length + t] = rows[b][t];
            }
        }
        return Tensors.owned(manager.create(flat, new Shape(rows.length, length)));
    }

    /** Attention mask, (B, T), 1 at real positions and 0 at padding, in {@code type}. */
    public NDArray mask(NDManager manager, DataType type) {
        float[] flat = new float[rows.length * length];
        for (int b = 0; b < rows.length; b++) {
            Arrays.fill(flat, b * length, b * length + rows[b].length, 1f);
        }
        return Tensors.owned(manager.create(flat, new Shape(rows.length, length)).toType(type, false));
    }
}
