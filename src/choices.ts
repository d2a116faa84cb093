// What the settings actions offer to choose from (server and client): file-manager storages for off-site copies,
// sub-applications, external data sources. None carries a storage's or a source's options.

/** Set by the server to a locale key; the action answers it translated. */
type Reason = string;

export interface StorageChoice {
  name: string;
  title: string;
  type: string;
  supported: boolean;
  /** Why a storage cannot hold off-site copies, when it cannot. */
  reason?: Reason;
}

export interface SubAppChoice {
  name: string;
  title: string;
}

export interface DataSourceChoice {
  key: string;
  title: string;
  type: string;
  supported: boolean;
  /** Why it cannot be backed up here, when it cannot. */
  reason?: Reason;
}
