/** Where encrypted secrets are kept (`store/sql/auth/sql-secret-store.ts`). */
export interface StoredSecret {
  name: string;
  description: string | null;
  ciphertext: string;
  keyId: string;
  createdAt: number;
  updatedAt: number;
  createdBy: string | null;
}

export interface SecretStore {
  /** false when the name is taken. */
  insert(s: StoredSecret): Promise<boolean>;
  /** false when there is no such secret. */
  update(name: string, change: { ciphertext: string; keyId: string; description?: string | null; updatedAt: number }): Promise<boolean>;
  get(name: string): Promise<StoredSecret | undefined>;
  list(): Promise<StoredSecret[]>;
  delete(name: string): Promise<boolean>;
}
