import type { HomeReading } from '../services/home-reading.js';
import type { UserView } from '../domain/users.js';
import { monthPeriod } from '../reports/period.js';
import { MONTHLY_KINDS, REPORT_TITLES } from '../reports/model.js';
import { monthOf } from './entry-log.js';

/** Codes expiring within this many days are listed on the handler's home page. */
export const CODES_NEAR_EXPIRY_DAYS = 1;

/** Open filing handovers listed on the handler's and admin's home pages (the rest behind the link). */
export const OPEN_HANDOVERS_SHOWN = 10;
/** The admin's home page lists at most this many open campaigns (newest first); the campaigns page has them all. */
export const OPEN_CAMPAIGNS_SHOWN = 5;

/**
 * The home page as a list of tasks for the role (what needs doing first), each
 * with a link: admins see alarms and locks first, then what waits for them;
 * handlers their own requests and the persons waiting; auditors the reports
 * of the month to sign and the state of the trail. Counts come from indexes
 * and maintained counters (services/home-reading.ts).
 */
export function adminTasks(home: HomeReading) {
  return home.admin(home.now(), { handovers: OPEN_HANDOVERS_SHOWN, campaigns: OPEN_CAMPAIGNS_SHOWN });
}

export function handlerTasks(home: HomeReading, user: UserView) {
  const now = home.now();
  const until = new Date(now.getTime() + CODES_NEAR_EXPIRY_DAYS * 86_400_000);
  return home.handler(user, now, until, OPEN_HANDOVERS_SHOWN);
}

export function auditorTasks(home: HomeReading) {
  const now = home.now();
  // The month just ended (Japan time): its reports are the ones to print and sign now.
  const [y, m] = monthOf(now).split('-').map(Number) as [number, number];
  const month = monthPeriod(m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`);
  return {
    month: month.key,
    reports: MONTHLY_KINDS.map((kind) => ({ kind, title: REPORT_TITLES[kind] })),
    chain: home.chain(),
  };
}
