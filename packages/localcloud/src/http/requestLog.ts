// Every call the cloud answered, for tests ("no request reached the cloud",
// "zero creates on a second up") and GET /localcloud/admin/requests.

export interface RequestRecord {
  time: string;
  method: string;
  path: string;
  status: number;
  service: string;
  /** No route served this call. */
  unserved: boolean;
  /** Which catalog endpoint the client called: `<region>/<interface>` (RegionOne/public: no prefix). */
  endpoint?: string;
  scheme?: "http" | "https";
  /** The project (name) of the request's token, when it carried a valid one. */
  project?: string;
  /** The client's User-Agent (which side made the call: gophercloud, openstacksdk, ...). */
  userAgent?: string;
}

/** A long-running cloud keeps the most recent calls only. */
const MAX_RECORDS = 100_000;

export class RequestLog {
  private records: RequestRecord[] = [];

  add(record: Omit<RequestRecord, "time">): void {
    this.records.push({ time: new Date().toISOString(), ...record });
    if (this.records.length > MAX_RECORDS)
      this.records.splice(0, this.records.length - MAX_RECORDS);
  }

  /** The records (the live array: it is what the admin endpoint serialises). */
  get entries(): readonly RequestRecord[] {
    return this.records;
  }

  clear(): void {
    this.records.length = 0;
  }
}
