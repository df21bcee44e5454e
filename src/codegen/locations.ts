import { isAbsolute, relative } from 'node:path';

/** A document's location relative to the working directory, for error messages and comments. */
export function relativeLocation(location: string | undefined): string {
  if (!location) return '<inline document>';
  return isAbsolute(location) ? relative(process.cwd(), location) : location;
}
