/** "12 days left" / "3 days ago" / '' from the status' days_left. */
export function daysLeftText(days: number | null | undefined): string {
  if (days === null || days === undefined) return '';
  if (days === 0) return 'expires today';
  if (days > 0) return `${days} day${days === 1 ? '' : 's'} left`;
  return `expired ${-days} day${days === -1 ? '' : 's'} ago`;
}
