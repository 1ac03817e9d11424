import ejs from 'ejs';
import { readFileSync } from 'node:fs';
import { packagePath } from '../paths.js';
import { M } from './messages.js';
import { formatTime } from './view-models.js';

const TEMPLATE = packagePath('views', 'campaigns', 'slips-pdf.ejs');
let compiled: ejs.TemplateFunction | undefined;
let stylesheet: string | undefined;

/** The slips of one page as one self-contained HTML document for the PDF path (styles inlined, no scripts). */
export function renderSlipsPdfHtml(model: { layout: 'a4' | 'sheet'; slips: unknown[]; company: string; contact: string | null; base: string }): Promise<string> {
  compiled ??= ejs.compile(readFileSync(TEMPLATE, 'utf8'), { filename: TEMPLATE });
  const css = (stylesheet ??= readFileSync(packagePath('public', 'slips.css'), 'utf8'));
  return Promise.resolve(compiled({ ...model, css, m: M, formatTime }));
}
