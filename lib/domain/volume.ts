/** The volume fields a volume's finding carries (UNPROTECTED_VOLUME), and its item keeps. */
export interface VolumeFields {
  id: string;
  name: string | null;
  status: string;
  size: number;
  created_at: string | null;
}
