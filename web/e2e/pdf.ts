// Reads a PDF the way a person's viewer does, with PDF.js: the text each
// page shows, and the vector paths it draws (a plotted curve is one path of
// many line segments).
import { readFile } from 'node:fs/promises';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';

/** PDF.js's path codes in a constructPath's data (its DrawOPS). */
const drawOps = { moveTo: 0, lineTo: 1, curveTo: 2, quadraticCurveTo: 3, closePath: 4 };
const argsOf: Record<number, number> = { 0: 2, 1: 2, 2: 6, 3: 4, 4: 0 };

export interface PdfContent {
  pages: number;
  /** Every page's text, each shown string on a line of its own. */
  text: string;
  /** The line segments of the longest path drawn. */
  longestPath: number;
  /**
   * The line segments of every path of at least 10 (a curve's, where a
   * grid line or a frame has 1 to 4): a log axis breaks a curve where it
   * is zero, into paths of their own.
   */
  curveSegments: number;
}

/** Counts the line-tos in one constructPath's path data. */
function lineTos(data: ArrayLike<number>): number {
  let n = 0;
  for (let k = 0; k < data.length; ) {
    const op = data[k] ?? -1;
    if (!(op in argsOf)) throw new Error(`unknown path code ${op} at ${k}`);
    if (op === drawOps.lineTo) n++;
    k += 1 + (argsOf[op] ?? 0);
  }
  return n;
}

export async function readPdf(file: string): Promise<PdfContent> {
  const data = new Uint8Array(await readFile(file));
  const doc = await getDocument({ data, useSystemFonts: false }).promise;
  const lines: string[] = [];
  let longestPath = 0;
  let curveSegments = 0;
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const content = await page.getTextContent();
    for (const item of content.items) if ('str' in item && item.str.trim() !== '') lines.push(item.str);
    const ops = await page.getOperatorList();
    ops.fnArray.forEach((fn, k) => {
      if (fn !== OPS.constructPath) return;
      // [the painting operator, [path data], bounding box]
      const path = (ops.argsArray[k] as [number, [ArrayLike<number>] | ArrayLike<number>[]])[1][0];
      if (!path) return;
      const n = lineTos(path);
      longestPath = Math.max(longestPath, n);
      if (n >= 10) curveSegments += n;
    });
  }
  const pages = doc.numPages;
  await doc.destroy();
  return { pages, text: lines.join('\n'), longestPath, curveSegments };
}
