/** One line of the bench table: our time beside a floor measured in the same run. */
export interface Row {
  operation: string;
  n: number;
  seconds: number;
  floor: string;
  floorSeconds: number;
  target: string;
}
