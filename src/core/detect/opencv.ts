import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The parts of the opencv.js API the detectors use (the package's own typings are incomplete). */
export interface CvMat {
  data: Uint8Array;
  rows: number;
  cols: number;
  delete(): void;
}
export interface CvVector<T> {
  size(): number;
  get(i: number): T;
  delete(): void;
}
export interface CvRect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface CvCascade {
  load(path: string): boolean;
  empty(): boolean;
  detectMultiScale2(
    image: CvMat,
    objects: CvVector<CvRect>,
    numDetections: CvVector<number>,
    scaleFactor: number,
    minNeighbors: number,
    flags: number,
    minSize: unknown,
    maxSize: unknown,
  ): void;
  delete(): void;
}
export interface OpenCv {
  Mat: new (rows?: number, cols?: number, type?: number) => CvMat;
  RectVector: new () => CvVector<CvRect>;
  IntVector: new () => CvVector<number>;
  Size: new (w: number, h: number) => unknown;
  Scalar: new (...v: number[]) => unknown;
  CascadeClassifier: new () => CvCascade;
  CV_8UC3: number;
  COLOR_RGB2GRAY: number;
  BORDER_CONSTANT: number;
  cvtColor(src: CvMat, dst: CvMat, code: number): void;
  equalizeHist(src: CvMat, dst: CvMat): void;
  copyMakeBorder(
    src: CvMat,
    dst: CvMat,
    top: number,
    bottom: number,
    left: number,
    right: number,
    type: number,
    value: unknown,
  ): void;
  FS_createDataFile(
    parent: string,
    name: string,
    data: Uint8Array,
    canRead: boolean,
    canWrite: boolean,
    canOwn: boolean,
  ): void;
  FS_unlink(path: string): void;
  onRuntimeInitialized?: () => void;
}

let ready: Promise<{ cv: OpenCv }> | undefined;

/**
 * Loads opencv.js once. The module object is an Emscripten "thenable" whose then() resolves to
 * itself, so awaiting it directly never settles: it is wrapped in a plain object instead.
 */
export function loadOpenCv(): Promise<{ cv: OpenCv }> {
  ready ??= new Promise((resolve, reject) => {
    try {
      const cv = require('@techstark/opencv-js') as OpenCv;
      if ((cv as { Mat?: unknown }).Mat) resolve({ cv });
      else cv.onRuntimeInitialized = () => resolve({ cv });
    } catch (err) {
      reject(err);
    }
  });
  return ready;
}
