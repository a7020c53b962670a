-- characters.name always held the normalised key (lower-case, single spaces; see characterKey in
-- src/store/characters.ts), never the name people see (display_name). Say so in its name.
-- (0004 is taken by the leases of the sharded bot.)
ALTER TABLE characters RENAME COLUMN name TO name_key;
