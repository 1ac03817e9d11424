import ejs from 'ejs';
import { readFileSync } from 'node:fs';
import QRCode from 'qrcode';
import { packagePath } from '../paths.js';
import type { ReportModel } from './model.js';

const TEMPLATE = packagePath('views', 'reports', 'print.ejs');
let compiled: ejs.TemplateFunction | undefined;
let stylesheet: string | undefined;

/** The text the QR code holds: what `mnvault audit verify --anchor` takes. */
export const anchorOf = (m: Pick<ReportModel, 'head'>) => `${m.head.seq}:${m.head.hash}`;

/**
 * The CSS that puts the report's header in the top margin of every printed
 * page (an @page margin box). Every character but ASCII letters, digits and
 * spaces is written as a CSS escape, so no text can end the string or the rule.
 */
export function pageHeaderCss(header: string): string {
  const escaped = [...header.slice(0, 300)].map((c) => (/^[A-Za-z0-9 ]$/u.test(c) ? c : `\\${c.codePointAt(0)!.toString(16)} `)).join('');
  return `@page { @top-left { content: "${escaped}"; } }\n`;
}

export interface RenderOptions {
  /** 'web': links the stylesheets and shows the print toolbar; 'pdf': one self-contained document for Chromium. */
  mode: 'web' | 'pdf';
  /** Web mode: where the toolbar's links go. */
  back?: string;
  pdfHref?: string | null;
}

/** Renders a report model to one HTML document (the print view, and the PDF's source). */
export async function renderReportHtml(model: ReportModel, opts: RenderOptions): Promise<string> {
  compiled ??= ejs.compile(readFileSync(TEMPLATE, 'utf8'), { filename: TEMPLATE });
  // The 利用目的通知書 is handed to the employee: it carries no QR, hash or command (the print is still audited).
  const qr = model.kind === 'notice' ? null : await QRCode.toDataURL(anchorOf(model), { errorCorrectionLevel: 'M', margin: 1, width: 160 });
  const css = opts.mode === 'pdf' ? `${(stylesheet ??= readFileSync(packagePath('public', 'print.css'), 'utf8'))}\n${pageHeaderCss(model.pageHeader)}` : null;
  return compiled({
    r: model,
    qr,
    anchor: anchorOf(model),
    mode: opts.mode,
    css,
    headerCssHref: `/reports/page.css?h=${encodeURIComponent(model.pageHeader)}`,
    back: opts.back ?? '/reports',
    pdfHref: opts.pdfHref ?? null,
  });
}
