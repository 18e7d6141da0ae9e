"""Seeds a Cinder SQLite database with a fleet written by write-fleet.ts: volumes (the deleted ones
soft-deleted, as Cinder keeps them), snapshots, metadata."""
import json
import sqlite3
import sys


def db_time(value):
    # SQLAlchemy's SQLite DateTime storage format.
    return None if value is None else value.replace('T', ' ')


def main(db_path, fleet_path):
    fleet = json.load(open(fleet_path, encoding='utf-8'))
    db = sqlite3.connect(db_path)
    volume_type = db.execute("select id from volume_types where name = '__DEFAULT__'").fetchone()[0]
    snapshots = 0
    for project in fleet['projects']:
        pid = project['projectId']
        live = [(v, 0) for v in project['volumes']]
        gone = [(v, 1) for v in project.get('deletedVolumes', [])]
        db.executemany(
            "insert into volumes (created_at, deleted, deleted_at, id, user_id, project_id, display_name, size, status,"
            " attach_status, volume_type_id, use_quota, availability_zone, host)"
            # A host, as the scheduler would set: Cinder refuses to snapshot a volume without one.
            " values (?, ?, ?, ?, 'admin', ?, ?, ?, ?, 'detached', ?, 1, 'nova', 'localhost@fake#fake')",
            [
                (db_time(v['created_at']), deleted, db_time(v['created_at']) if deleted else None, v['id'], pid, v['name'], v['size'],
                 'deleted' if deleted else v.get('status', 'available'), volume_type)
                for v, deleted in live + gone
            ],
        )
        db.executemany(
            "insert into snapshots (created_at, updated_at, deleted, id, volume_id, user_id, project_id, status,"
            " progress, volume_size, display_name, display_description, volume_type_id, use_quota)"
            " values (?, ?, 0, ?, ?, 'admin', ?, ?, '100%', ?, ?, ?, ?, 1)",
            [
                (db_time(s['created_at']), db_time(s['updated_at']), s['id'], s['volume_id'], pid, s['status'],
                 s['size'], s['name'], s['description'], volume_type)
                for s in project['snapshots']
            ],
        )
        db.executemany(
            "insert into snapshot_metadata (created_at, deleted, snapshot_id, key, value) values (?, 0, ?, ?, ?)",
            [(db_time(s['created_at']), s['id'], k, v) for s in project['snapshots'] for k, v in s['metadata'].items()],
        )
        snapshots += len(project['snapshots'])
    db.commit()
    volumes = sum(len(p['volumes']) for p in fleet['projects'])
    print(f'seeded {snapshots} snapshots and {volumes} volumes in {len(fleet["projects"])} projects')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
