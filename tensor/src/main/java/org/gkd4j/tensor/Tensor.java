package org.gkd4j.tensor;

import java.util.Arrays;

/**
 * A dense float32 tensor: a row-major view of {@code shape} over a heap array, starting at {@code offset}.
 *
 * <p>Views share the array: {@link #reshape} and {@link #rows} never copy. Every view is contiguous, so a kernel
 * sees a tensor as {@code data[offset .. offset + size)} laid out row-major.
 *
 * <p>NOTE: heap arrays were chosen over off-heap memory segments because the Vector API loads from both at the
 * same speed in our measurement (see BENCHMARKS.md) and arrays keep the kernels simple to read.
 */
public final class Tensor {

    private final float[] data;
    private final int offset;
    private final int[] shape;
    private final int size;

    private Tensor(float[] data, int offset, int[] shape) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
        this.size = sizeOf(shape, "Tensor");
        if (offset < 0 || offset + size > data.length) {
            throw new IllegalArgumentException("Tensor: view of shape " + Arrays.toString(shape) + " at offset "
                    + offset + " needs " + size + " floats but the array has " + data.length);
        }
    }

    /** Creates a tensor of zeros with the given shape. */
    public static Tensor zeros(int... shape) {
        return new Tensor(new float[sizeOf(shape, "Tensor.zeros")], 0, shape.clone());
    }

    /** Wraps {@code data} (not copied) as a tensor of the given shape; the sizes must match exactly. */
    public static Tensor of(float[] data, int... shape) {
        int size = sizeOf(shape, "Tensor.of");
        if (size != data.length) {
            throw new IllegalArgumentException("Tensor.of: shape " + Arrays.toString(shape) + " has " + size
                    + " elements but the array has " + data.length);
        }
        return new Tensor(data, 0, shape.clone());
    }

    /** Wraps a region of {@code data} (not copied) starting at {@code offset}. */
    public static Tensor view(float[] data, int offset, int... shape) {
        return new Tensor(data, offset, shape.clone());
    }

    /** Returns the number of elements of {@code shape}, rejecting non-positive dimensions and int overflow. */
    public static int sizeOf(int[] shape, String op) {
        if (shape.length == 0) {
            throw new IllegalArgumentException(op + ": a shape needs at least one dimension");
        }
        long size = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape)
                        + " has a non-positive dimension; every dimension must be at least 1");
            }
            size *= d;
            if (size > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape)
                        + " has more elements than a Java array can hold");
            }
        }
        return (int) size;
    }

    public float[] data() {
        return data;
    }

    public int offset() {
        return offset;
    }

    /** Returns a copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Returns dimension {@code i}; negative values count from the end, so {@code dim(-1)} is the last axis. */
    public int dim(int i) {
        int axis = i < 0 ? shape.length + i : i;
        if (axis < 0 || axis >= shape.length) {
            throw new IllegalArgumentException("Tensor.dim: axis " + i + " is out of range for shape "
                    + Arrays.toString(shape));
        }
        return shape[axis];
    }

    public int size() {
        return size;
    }

    /** Returns the number of rows when the tensor is seen as a matrix [rows, dim(-1)]. */
    public int rows() {
        return size / shape[shape.length - 1];
    }

    /** Returns a view with another shape of the same size; one dimension may be -1 and is then inferred. */
    public Tensor reshape(int... newShape) {
        int[] resolved = newShape.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < resolved.length; i++) {
            if (resolved[i] == -1 && inferred < 0) {
                inferred = i;
            } else {
                known *= resolved[i];
            }
        }
        if (inferred >= 0 && known > 0 && size % known == 0) {
            resolved[inferred] = (int) (size / known);
        }
        int newSize = sizeOf(resolved, "Tensor.reshape");
        if (newSize != size) {
            throw new IllegalArgumentException("Tensor.reshape: cannot view shape " + Arrays.toString(shape)
                    + " (" + size + " elements) as " + Arrays.toString(newShape));
        }
        return new Tensor(data, offset, resolved);
    }

    /** Returns a view of {@code count} consecutive slices along the first axis, starting at {@code start}. */
    public Tensor rows(int start, int count) {
        if (start < 0 || count <= 0 || start + count > shape[0]) {
            throw new IllegalArgumentException("Tensor.rows: rows [" + start + ", " + (start + count)
                    + ") are out of range for first dimension " + shape[0] + " of shape " + Arrays.toString(shape));
        }
        int[] sliced = shape.clone();
        sliced[0] = count;
        return new Tensor(data, offset + start * (size / shape[0]), sliced);
    }

    /** Returns slice {@code index} along the first axis, with that axis dropped (a rank-1 tensor stays rank 1). */
    public Tensor row(int index) {
        Tensor slice = rows(index, 1);
        if (shape.length == 1) {
            return slice;
        }
        return slice.reshape(Arrays.copyOfRange(shape, 1, shape.length));
    }

    /** Returns element {@code i} of the flat row-major view. */
    public float get(int i) {
        return data[offset + checkFlatIndex(i)];
    }

    public void set(int i, float value) {
        data[offset + checkFlatIndex(i)] = value;
    }

    /** Returns the element at a full multi-dimensional index. */
    public float at(int... index) {
        return data[offset + flatIndex(index)];
    }

    private int checkFlatIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IllegalArgumentException("Tensor: flat index " + i + " is out of range for shape "
                    + Arrays.toString(shape));
        }
        return i;
    }

    private int flatIndex(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("Tensor: index " + Arrays.toString(index) + " has rank "
                    + index.length + " but the shape " + Arrays.toString(shape) + " has rank " + shape.length);
        }
        int flat = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IllegalArgumentException("Tensor: index " + Arrays.toString(index)
                        + " is out of range for shape " + Arrays.toString(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return flat;
    }

    public Tensor fill(float value) {
        Arrays.fill(data, offset, offset + size, value);
        return this;
    }

    /** Copies the elements of {@code source}, which must have the same size, into this tensor. */
    public Tensor copyFrom(Tensor source) {
        if (source.size != size) {
            throw new IllegalArgumentException("Tensor.copyFrom: source shape " + Arrays.toString(source.shape)
                    + " has " + source.size + " elements but this tensor " + Arrays.toString(shape) + " has " + size);
        }
        System.arraycopy(source.data, source.offset, data, offset, size);
        return this;
    }

    /** Returns a new tensor with its own array holding a copy of the elements. */
    public Tensor copy() {
        return Tensor.of(toArray(), shape);
    }

    /** Returns the elements as a new array. */
    public float[] toArray() {
        return Arrays.copyOfRange(data, offset, offset + size);
    }

    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public String toString() {
        int shown = Math.min(size, 8);
        StringBuilder text = new StringBuilder("Tensor").append(Arrays.toString(shape)).append(" [");
        for (int i = 0; i < shown; i++) {
            text.append(i == 0 ? "" : ", ").append(data[offset + i]);
        }
        return text.append(size > shown ? ", ...]" : "]").toString();
    }
}
