import { MysqlDumpScanner, type ScanFinding } from '../mysql-dump-scan';

const OTHERS = ['otherdb', 'nocobase'];

function scan(text: string | Buffer, chunk = 0): ScanFinding | null {
  const data = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const scanner = new MysqlDumpScanner({ otherDatabases: OTHERS });
  const size = chunk || data.length || 1;
  for (let i = 0; i < data.length; i += size) {
    const found = scanner.push(data.subarray(i, i + size));
    if (found) return found;
  }
  return scanner.end();
}

// What mariadb-dump 10.11 writes (--routines --triggers --events --hex-blob), with hostile-looking data.
const DUMP = String.raw`/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;

--
-- Table structure for table ${'`items`'}
--

DROP TABLE IF EXISTS ${'`items`'};
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8 */;
CREATE TABLE ${'`items`'} (
  ${'`id`'} int(11) NOT NULL AUTO_INCREMENT,
  ${'`name`'} varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
  ${'`payload`'} blob DEFAULT NULL,
  ${'`parent`'} int(11) DEFAULT NULL,
  PRIMARY KEY (${'`id`'}),
  CONSTRAINT ${'`fk`'} FOREIGN KEY (${'`parent`'}) REFERENCES ${'`items`'} (${'`id`'}) ON DELETE SET NULL
) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES ${'`items`'} WRITE;
/*!40000 ALTER TABLE ${'`items`'} DISABLE KEYS */;
INSERT INTO ${'`items`'} VALUES (1,'a\'; DROP DATABASE otherdb; -- ',0x00FF5C27,NULL),(2,'otherdb.t \\ */ /*!USE x*/ \n system id',NULL,1),(3,'日本語 ✓ ''q''',0x,NULL),(4,"dq \" ; USE otherdb",NULL,NULL);
/*!40000 ALTER TABLE ${'`items`'} ENABLE KEYS */;
UNLOCK TABLES;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
/*!50003 SET @saved_cs_results     = @@character_set_results */ ;
/*!50003 SET @saved_col_connection = @@collation_connection */ ;
/*!50003 SET character_set_client  = utf8mb4 */ ;
/*!50003 SET character_set_results = utf8mb4 */ ;
/*!50003 SET collation_connection  = utf8mb4_unicode_ci */ ;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION' */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=${'`bm`'}@${'`127.0.0.1`'}*/ /*!50003 TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item_id) VALUES (NEW.id) */;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;
/*!50003 SET character_set_client  = @saved_cs_client */ ;
/*!50003 SET character_set_results = @saved_cs_results */ ;
/*!50003 SET collation_connection  = @saved_col_connection */ ;
/*!50001 DROP VIEW IF EXISTS ${'`item_names`'}*/;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=${'`bm`'}@${'`127.0.0.1`'} SQL SECURITY DEFINER */
/*!50001 VIEW ${'`item_names`'} AS select ${'`items`'}.${'`name`'} AS ${'`name`'}, case when ${'`items`'}.${'`id`'} > 1 then 'x' else 'y' end AS ${'`k`'} from ${'`items`'} */;
DELIMITER ;;
/*!50106 CREATE*/ /*!50117 DEFINER=${'`bm`'}@${'`127.0.0.1`'}*/ /*!50106 EVENT ${'`purge`'} ON SCHEDULE EVERY 1 DAY STARTS '2026-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM audit WHERE id < 0 */ ;;
CREATE DEFINER=${'`bm`'}@${'`127.0.0.1`'} FUNCTION ${'`twice`'}(x int) RETURNS int(11)
    DETERMINISTIC
RETURN x * 2 ;;
CREATE DEFINER=${'`bm`'}@${'`127.0.0.1`'} PROCEDURE ${'`fill`'}(n int)
BEGIN
  DECLARE i int DEFAULT 0;
  lbl: WHILE i < n DO
    INSERT INTO items (name) VALUES (CONCAT('row ', i));
    SET i = i + 1;
    IF i > 100 THEN LEAVE lbl; END IF;
  END WHILE lbl;
END ;;
DELIMITER ;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*M!100616 SET NOTE_VERBOSITY=@OLD_NOTE_VERBOSITY */;

-- Dump completed on 2026-12-05  0:32:25
`;

describe('a mariadb-dump file', () => {
  it('passes: tables, hostile-looking data, triggers, views, events, routines', () => {
    expect(scan(DUMP)).toBeNull();
  });

  it('passes whatever the chunk boundaries', () => {
    for (const size of [1, 2, 3, 5, 7, 64]) expect([size, scan(DUMP, size)]).toEqual([size, null]);
  });

  it('passes two dumps one after the other (the two-command plan of older clients)', () => {
    expect(scan(DUMP + DUMP)).toBeNull();
  });
});

const inject = (statement: string) => DUMP.replace('\n--\n-- Table structure', () => `\n${statement}\n--\n-- Table structure`);

describe('refused', () => {
  const cases: [string, string, RegExp][] = [
    ['a backslash command', '\\! id > /tmp/x', /client command/],
    ['a backslash command mid-line', 'SELECT 1 \\! id', /client command/],
    ['system', 'system id > /tmp/x', /SYSTEM statements/],
    ['source', 'source /etc/passwd', /SOURCE statements/],
    ['USE', 'USE otherdb;', /USE switches/],
    ['USE in a versioned comment', '/*!40101 USE otherdb */;', /USE switches/],
    ['USE after THEN', 'IF 1 THEN USE otherdb; END IF;', /USE statements/],
    ['a qualified name of another database', 'INSERT INTO otherdb.t VALUES (1);', /another database \(otherdb\)/],
    ['a quoted qualified name', 'INSERT INTO `NocoBase` . `t` VALUES (1);', /another database \(nocobase\)/],
    ['the mysql database', 'UPDATE mysql.user SET x = 1;', /another database \(mysql\)/],
    ['CREATE DATABASE', 'CREATE DATABASE evil;', /CREATE DATABASE/],
    ['CREATE OR REPLACE DATABASE', 'CREATE OR REPLACE DATABASE evil;', /DATABASE/],
    ['DROP SCHEMA', 'DROP SCHEMA IF EXISTS otherdb;', /DROP SCHEMA/],
    ['ALTER DATABASE', 'ALTER DATABASE `x` CHARACTER SET latin1;', /ALTER DATABASE/],
    ['CREATE USER', "CREATE USER 'x'@'%';", /CREATE USER/],
    ['GRANT', "GRANT ALL ON *.* TO 'x'@'%';", /GRANT/],
    ['PREPARE', "PREPARE s FROM 'DROP DATABASE otherdb';", /PREPARE/],
    ['EXECUTE IMMEDIATE inside IF', "IF 1 THEN EXECUTE IMMEDIATE 'DROP DATABASE otherdb'; END IF;", /EXECUTE/],
    ['a custom delimiter', 'DELIMITER $$\nSELECT 1 $$\nDELIMITER ;', /delimiter "\$\$"/],
    ['a delimiter with trailing text', 'DELIMITER ;; USE otherdb', /delimiter/],
    ['INTO OUTFILE', "SELECT 1 INTO OUTFILE '/tmp/x';", /OUTFILE/],
    ['LOAD DATA', "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t;", /LOAD/],
    ['LOAD_FILE', "INSERT INTO t VALUES (LOAD_FILE('/etc/passwd'));", /LOAD_FILE/],
    ['a UDF', "CREATE FUNCTION f RETURNS STRING SONAME 'x.so';", /SONAME/],
    ['a remote engine', "CREATE TABLE t (a int) ENGINE=FEDERATED CONNECTION='mysql://h/db/t';", /FEDERATED/],
    ['a data directory', "CREATE TABLE t (a int) DATA DIRECTORY='/tmp';", /DIRECTORY/],
    ['SET GLOBAL', 'SET GLOBAL general_log = 1;', /GLOBAL/],
    ['SET @@global', 'SET @@global.general_log = 1;', /global/],
    ['ANSI_QUOTES', "SET sql_mode = 'ANSI_QUOTES';", /sql_mode/],
    ['a combination mode', "SET SESSION sql_mode = 'ORACLE';", /sql_mode/],
    ['NO_BACKSLASH_ESCAPES through @@', "SET @@SESSION.sql_mode = 'NO_BACKSLASH_ESCAPES';", /sql_mode/],
    ['sql_mode from an expression', "SET sql_mode = CONCAT('ANSI', '_QUOTES');", /sql_mode/],
    ['sql_mode from a variable saved from another setting', 'SET @saved_m = @@default_master_connection;\nSET sql_mode = @saved_m;', /sql_mode/],
    ['a saved variable set by SELECT', "SELECT 'ANSI_QUOTES' INTO @OLD_SQL_MODE;", /outside a SET/],
    ['sql_mode inside IF', "IF 1 THEN SET sql_mode = 'ANSI_QUOTES'; END IF;", /sql_mode/],
    ['SET NAMES gbk', 'SET NAMES gbk;', /character set/],
    ['SET CHARACTER SET sjis', 'SET CHARACTER SET sjis;', /character set/],
    ['character_set_client = big5', "SET character_set_client = 'big5';", /character_set_client/],
    ['\\C inside a never-run comment', '/*M!999999\\C gbk */', /client command/],
    ['a quote ending a versioned comment early', "/*!99999 ' */ DROP DATABASE otherdb; -- ' */;", /contains \*\//],
    ['a line comment inside a versioned comment', '/*!40101 -- */ DROP DATABASE otherdb;\n*/;', /comment inside/],
    ['an unknown statement', 'HANDLER t OPEN;', /HANDLER statements/],
  ];
  it.each(cases)('%s', (_name, statement, reason) => {
    const found = scan(inject(statement));
    expect(found?.reason).toMatch(reason);
    for (const size of [1, 3]) expect(scan(inject(statement), size)?.reason).toBe(found?.reason);
  });

  it('an unclosed quote or comment at the end', () => {
    expect(scan("INSERT INTO t VALUES ('x")?.reason).toMatch(/never closed/);
    expect(scan('SELECT 1 /* x')?.reason).toMatch(/never closed/);
    expect(scan('/*!40101 SET x = 1')?.reason).toMatch(/never closed/);
  });

  it('names the line of the statement', () => {
    const text = inject('SELECT 1;\nUSE otherdb;');
    const line = text.split('\n').indexOf('USE otherdb;') + 1;
    expect(scan(text)).toEqual({ line, reason: 'USE switches to another database' });
  });
});

describe('with a table prefix', () => {
  const foreign = (text: string, prefix = 'nb_') => {
    const scanner = new MysqlDumpScanner({ otherDatabases: OTHERS, tablePrefix: prefix });
    expect(scanner.push(Buffer.from(text))).toBeNull();
    expect(scanner.end()).toBeNull();
    return scanner.foreignObjects();
  };

  it('names the tables, views, routines and events of a dump that lack the prefix', () => {
    expect(foreign(DUMP)).toEqual(['fill', 'item_names', 'items', 'purge', 'twice']);
  });

  it('accepts a dump of prefixed tables only', () => {
    const own = [
      'DROP TABLE IF EXISTS `nb_items`;',
      'CREATE TABLE `nb_items` (`id` int) ENGINE=InnoDB;',
      'LOCK TABLES `nb_items` WRITE;',
      '/*!40000 ALTER TABLE `nb_items` DISABLE KEYS */;',
      "INSERT INTO `nb_items` VALUES (1),(2);",
      'UNLOCK TABLES;',
      'DELIMITER ;;',
      '/*!50003 CREATE*/ /*!50017 DEFINER=`u`@`h`*/ /*!50003 TRIGGER `t1` AFTER INSERT ON `nb_items` FOR EACH ROW SET @x = 1 */;;',
      'DELIMITER ;',
    ].join('\n');
    expect(foreign(own)).toEqual([]);
  });

  it('sees every name of a list and qualified names', () => {
    expect(foreign('DROP TABLE IF EXISTS nb_a, other_b;\nLOCK TABLES nb_a WRITE, other_c READ;\nINSERT INTO x.other_d VALUES (1);')).toEqual(['other_b', 'other_c', 'other_d']);
  });
});
